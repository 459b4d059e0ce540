import { crossEnvironment } from './cross-environment.ts';
import { dataStaging } from './data-staging.ts';
import { edgeBurst } from './edge-burst.ts';
import { ipSweep } from './ip-sweep.ts';
import { metadataApi } from './metadata-api.ts';
import { newEastWestEdge } from './new-east-west-edge.ts';
import { portScan } from './port-scan.ts';
import { sensitivePort } from './sensitive-port.ts';
import { beaconing } from './beaconing.ts';
import { deniedBurst } from './denied-burst.ts';
import { dnsTunnel } from './dns-tunnel.ts';
import { egressGatewayBypass } from './egress-gateway-bypass.ts';
import { egressSpike } from './egress-spike.ts';
import { fqdnAllowlist } from './fqdn-allowlist.ts';
import { inferenceClientAnomaly } from './inference-client-anomaly.ts';
import { inferenceIngressSpike } from './inference-ingress-spike.ts';
import { ingressGatewayBypass } from './ingress-gateway-bypass.ts';
import { newExternalUpload } from './new-external-upload.ts';
import { nxdomainBurst } from './nxdomain-burst.ts';
import { slowExfil } from './slow-exfil.ts';
import type { Detector } from './types.ts';

/** Every detector by name; `pipelines/*.yaml` enables and tunes them under `detection.detectors`. */
export const DETECTORS: readonly Detector<object>[] = [
  // Lateral movement and discovery
  newEastWestEdge, portScan, ipSweep, sensitivePort, crossEnvironment, metadataApi, deniedBurst, edgeBurst,
  // Collection
  dataStaging,
  // Exfiltration and command-and-control
  egressSpike, newExternalUpload, fqdnAllowlist, dnsTunnel, nxdomainBurst, beaconing, slowExfil, egressGatewayBypass,
  // Ingress abuse of inference endpoints
  inferenceIngressSpike, inferenceClientAnomaly, ingressGatewayBypass,
] as Detector<object>[];

export const DETECTOR_NAMES = DETECTORS.map((d) => d.name);

export function detectorByName(name: string): Detector<object> | undefined {
  return DETECTORS.find((d) => d.name === name);
}
