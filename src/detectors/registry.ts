import { crossEnvironment } from './cross-environment.ts';
import { ipSweep } from './ip-sweep.ts';
import { metadataApi } from './metadata-api.ts';
import { newEastWestEdge } from './new-east-west-edge.ts';
import { portScan } from './port-scan.ts';
import { sensitivePort } from './sensitive-port.ts';
import type { Detector } from './types.ts';

/** Every detector by name; `pipelines/*.yaml` enables and tunes them under `detection.detectors`. */
export const DETECTORS: readonly Detector<object>[] = [
  newEastWestEdge, portScan, ipSweep, sensitivePort, crossEnvironment, metadataApi,
] as Detector<object>[];

export const DETECTOR_NAMES = DETECTORS.map((d) => d.name);

export function detectorByName(name: string): Detector<object> | undefined {
  return DETECTORS.find((d) => d.name === name);
}
