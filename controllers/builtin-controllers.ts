/**
 * builtinControllers lists the controllers nodeless runs, in process (`nodeless serve`) or in
 * their own process (`nodeless controllers --kubeconfig`), in the order they are set up.
 */
import { GarbageCollector } from './gc/garbage-collector';
import { IPAllocator } from './instances/allocator';
import { InstanceScheduler, type InstanceSchedulerOptions } from './instances/scheduler';
import { IngressController } from './networking/ingress';
import { LoadBalancerPool } from './networking/load-balancer-pool';
import { ServiceLoadBalancerController } from './networking/service-lb';
import type { Controller } from './runtime/manager';
import { DaemonSetController } from './workloads/daemonset';
import { ResourceQuotaController } from './quota/resource-quota';
import { DisruptionController } from './workloads/disruption';
import { CronJobController } from './workloads/cronjob';
import { JobController } from './workloads/job';
import { NamespaceController } from './workloads/namespace';
import { PodGCController } from './workloads/pod-gc';
import { DeploymentController } from './workloads/deployment/controller';
import { ReplicaSetController } from './workloads/replicaset';
import { ReplicationControllerController } from './workloads/replicationcontroller';
import { ServiceAccountController } from './workloads/service-account';
import { StatefulSetController } from './workloads/statefulset';
import { TTLAfterFinishedController } from './workloads/ttl-after-finished';

/** BuiltinControllerOptions carry what the controllers need from their environment. */
export interface BuiltinControllerOptions {
  /** rootCACert is the PEM bundle published in every namespace's kube-root-ca.crt */
  rootCACert: string;
  /** scheduler runs the instance scheduler with these options; false (or absent) leaves pods to someone else */
  scheduler?: InstanceSchedulerOptions | false;
  /** terminatedPodGCThreshold is kube's --terminated-pod-gc-threshold (default 12,500; 0 keeps every terminated pod) */
  terminatedPodGCThreshold?: number;
  /** loadBalancerIPPool is the CIDR LoadBalancer Services and Ingresses take addresses from (default 198.18.0.0/15); a bad one throws */
  loadBalancerIPPool?: string;
}

/** builtinControllers makes one of each built-in controller. */
export function builtinControllers(options: BuiltinControllerOptions): Controller[] {
  // One pool behind both, so a Service and an Ingress never show the same address.
  const loadBalancers = new LoadBalancerPool(options.loadBalancerIPPool);
  const controllers: Controller[] = [
    new NamespaceController(),
    new ServiceAccountController({ rootCACert: options.rootCACert }),
    new ReplicaSetController(),
    new ReplicationControllerController(),
    new DeploymentController(),
    new StatefulSetController(),
    new DaemonSetController(),
    new JobController(),
    new CronJobController(),
    new TTLAfterFinishedController(),
    new ResourceQuotaController(),
    new DisruptionController(),
    new PodGCController({ terminatedPodThreshold: options.terminatedPodGCThreshold }),
    new GarbageCollector(),
    new ServiceLoadBalancerController(loadBalancers),
    new IngressController(loadBalancers),
  ];
  if (options.scheduler) controllers.push(new InstanceScheduler(options.scheduler));
  return controllers;
}

/** PROVIDERS are the instance providers the scheduler can run pods on. */
export const PROVIDERS: readonly string[] = ['simulated'];

/** SchedulerFlags are the command-line settings of the instance scheduler. */
export interface SchedulerFlags {
  provider: string;
  podCIDR: string;
}

/** schedulerOptions turns command-line settings into scheduler options; it throws an Error naming the bad flag. */
export function schedulerOptions(flags: SchedulerFlags): InstanceSchedulerOptions {
  if (!PROVIDERS.includes(flags.provider)) throw new Error(`unknown --provider ${JSON.stringify(flags.provider)}: want one of ${PROVIDERS.join(', ')}`);
  try {
    new IPAllocator(flags.podCIDR);
  } catch (err) {
    throw new Error(`invalid --pod-cidr: ${err instanceof Error ? err.message : String(err)}`);
  }
  return { podCIDR: flags.podCIDR };
}
