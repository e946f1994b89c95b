/**
 * builtinControllers lists the controllers nodeless runs, in process (`nodeless serve`) or in
 * their own process (`nodeless controllers --kubeconfig`), in the order they are set up.
 */
import type { Controller } from './runtime/manager';
import { ResourceQuotaController } from './quota/resource-quota';
import { DisruptionController } from './workloads/disruption';
import { NamespaceController } from './workloads/namespace';
import { PodGCController } from './workloads/pod-gc';
import { ReplicaSetController } from './workloads/replicaset';
import { ServiceAccountController } from './workloads/service-account';

/** BuiltinControllerOptions carry what the controllers need from their environment. */
export interface BuiltinControllerOptions {
  /** rootCACert is the PEM bundle published in every namespace's kube-root-ca.crt */
  rootCACert: string;
  /** terminatedPodGCThreshold is kube's --terminated-pod-gc-threshold (default 12,500; 0 keeps every terminated pod) */
  terminatedPodGCThreshold?: number;
}

/** builtinControllers makes one of each built-in controller. */
export function builtinControllers(options: BuiltinControllerOptions): Controller[] {
  return [
    new NamespaceController(),
    new ServiceAccountController({ rootCACert: options.rootCACert }),
    new ReplicaSetController(),
    new ResourceQuotaController(),
    new DisruptionController(),
    new PodGCController({ terminatedPodThreshold: options.terminatedPodGCThreshold }),
  ];
}
