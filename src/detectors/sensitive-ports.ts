/**
 * Ports whose use between workloads means remote administration, cluster control or raw data
 * access: reaching them is what lateral movement looks like on the wire.
 */
export const SENSITIVE_PORTS: ReadonlyMap<number, { service: string; technique: string }> = new Map([
  [22, { service: 'SSH', technique: 'T1021.004' }],
  [23, { service: 'Telnet', technique: 'T1021' }],
  [3389, { service: 'RDP', technique: 'T1021.001' }],
  [445, { service: 'SMB', technique: 'T1021.002' }],
  [139, { service: 'NetBIOS/SMB', technique: 'T1021.002' }],
  [5985, { service: 'WinRM', technique: 'T1021.006' }],
  [5986, { service: 'WinRM', technique: 'T1021.006' }],
  [6443, { service: 'Kubernetes API', technique: 'T1613' }],
  [10250, { service: 'kubelet', technique: 'T1210' }],
  [10255, { service: 'kubelet (read-only)', technique: 'T1613' }],
  [2379, { service: 'etcd', technique: 'T1552' }],
  [2380, { service: 'etcd peer', technique: 'T1552' }],
  [2375, { service: 'Docker API', technique: 'T1610' }],
  [2376, { service: 'Docker API (TLS)', technique: 'T1610' }],
  [10010, { service: 'containerd stream server', technique: 'T1609' }],
]);
