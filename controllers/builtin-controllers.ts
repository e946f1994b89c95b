/**
 * builtinControllers lists the controllers nodeless runs, in process (`nodeless serve`) or in
 * their own process (`nodeless controllers --kubeconfig`), in the order they are set up.
 */
import type { Controller } from './runtime/manager';
import { CronJobController } from './workloads/cronjob';
import { JobController } from './workloads/job';
import { NamespaceController } from './workloads/namespace';
import { ReplicaSetController } from './workloads/replicaset';
import { ServiceAccountController } from './workloads/service-account';
import { TTLAfterFinishedController } from './workloads/ttl-after-finished';

/** BuiltinControllerOptions carry what the controllers need from their environment. */
export interface BuiltinControllerOptions {
  /** rootCACert is the PEM bundle published in every namespace's kube-root-ca.crt */
  rootCACert: string;
}

/** builtinControllers makes one of each built-in controller. */
export function builtinControllers(options: BuiltinControllerOptions): Controller[] {
  return [
    new NamespaceController(),
    new ServiceAccountController({ rootCACert: options.rootCACert }),
    new ReplicaSetController(),
    new JobController(),
    new CronJobController(),
    new TTLAfterFinishedController(),
  ];
}
