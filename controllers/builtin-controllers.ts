/**
 * builtinControllers lists the controllers nodeless runs, in process (`nodeless serve`) or in
 * their own process (`nodeless controllers --kubeconfig`), in the order they are set up.
 */
import type { Controller } from './runtime/manager';
import { NamespaceController } from './workloads/namespace';
import { DeploymentController } from './workloads/deployment/controller';
import { ReplicaSetController } from './workloads/replicaset';
import { ReplicationControllerController } from './workloads/replicationcontroller';
import { ServiceAccountController } from './workloads/service-account';

/** BuiltinControllerOptions carry what the controllers need from their environment. */
export interface BuiltinControllerOptions {
  /** rootCACert is the PEM bundle published in every namespace's kube-root-ca.crt */
  rootCACert: string;
}

/** builtinControllers makes one of each built-in controller. */
export function builtinControllers(options: BuiltinControllerOptions): Controller[] {
  return [new NamespaceController(), new ServiceAccountController({ rootCACert: options.rootCACert }), new ReplicaSetController(), new ReplicationControllerController(), new DeploymentController()];
}
