import { describe, expect, it } from 'vitest';
import { workloadFromPodName } from '../../../src/model/workload-name.ts';

describe('workloadFromPodName', () => {
  it.each([
    ['llm-infer-6b687c8dcb-zn5s2', 'llm-infer'], // Deployment pod
    ['llm-infer-6b687c8dcb-*', 'llm-infer'], // Calico aggregate of the same
    ['nginx-86c57db685-*', 'nginx'],
    ['llm-finetune-x7k2p', 'llm-finetune'], // Job pod
    ['llm-finetune-*', 'llm-finetune'],
    ['backup-28392840-x7k2p', 'backup'], // CronJob pod
    ['backup-28392840-*', 'backup'],
    ['feature-store-0', 'feature-store'], // StatefulSet
    ['feature-store-12', 'feature-store'],
    ['feature-store-*', 'feature-store'],
    ['calico-node-7xk2p', 'calico-node'], // DaemonSet
    ['xwing', 'xwing'], // bare pod
    ['api-server', 'api-server'], // words with vowels are never hashes
    ['pub', 'pub'],
  ])('%s → %s', (pod, workload) => {
    expect(workloadFromPodName(pod)).toBe(workload);
  });
});
