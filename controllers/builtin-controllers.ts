/**
 * builtinControllers lists the controllers nodeless runs, in process (`nodeless serve`) or in
 * their own process (`nodeless controllers --kubeconfig`), in the order they are set up.
 */
import { GarbageCollector } from './gc/garbage-collector';
import * as path from 'node:path';
import { IPAllocator } from './instances/allocator';
import { ProcessProvider } from './instances/providers/process';
import type { PrepareHook } from './instances/providers/process-prepare';
import { clientEnvironmentSource, preparePod } from './instances/providers/pod-environment';
import type { Client } from './runtime/client';
import { InstanceScheduler, type InstanceSchedulerOptions } from './instances/scheduler';
import { IngressController } from './networking/ingress';
import { LoadBalancerPool } from './networking/load-balancer-pool';
import { ServiceLoadBalancerController } from './networking/service-lb';
import type { Controller } from './runtime/manager';
import { DaemonSetController } from './workloads/daemonset';
import { EndpointsController } from './networking/endpoints';
import { EndpointSliceController } from './networking/endpointslice';
import { EndpointSliceMirroringController } from './networking/endpointslice-mirroring';
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
import { LocalVolumeProvisioner } from './storage/local-provisioner';
import { PersistentVolumeController } from './storage/pv-controller';
import { PVProtectionController } from './storage/pv-protection';
import { PVCProtectionController } from './storage/pvc-protection';

/** BuiltinControllerOptions carry what the controllers need from their environment. */
export interface BuiltinControllerOptions {
  /** rootCACert is the PEM bundle published in every namespace's kube-root-ca.crt */
  rootCACert: string;
  /** scheduler runs the instance scheduler with these options; false (or absent) leaves pods to someone else */
  scheduler?: InstanceSchedulerOptions | false;
  /** terminatedPodGCThreshold is kube's --terminated-pod-gc-threshold (default 12,500; 0 keeps every terminated pod) */
  terminatedPodGCThreshold?: number;
  /** volumesDir is where the local provisioner (nodeless.dev/local) makes the directory of each
   * PersistentVolume it creates, a path on the machine these controllers run on; without it that
   * provisioner does not run and claims of its classes stay Pending */
  volumesDir?: string;
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
    new EndpointsController(),
    new EndpointSliceController(),
    new EndpointSliceMirroringController(),
    new PersistentVolumeController(),
    new PVCProtectionController(),
    new PVProtectionController(),
    new PodGCController({ terminatedPodThreshold: options.terminatedPodGCThreshold }),
    new GarbageCollector(),
    new ServiceLoadBalancerController(loadBalancers),
    new IngressController(loadBalancers),
  ];
  if (options.volumesDir) controllers.push(new LocalVolumeProvisioner({ volumesDir: options.volumesDir }));
  if (options.scheduler) controllers.push(new InstanceScheduler(options.scheduler));
  return controllers;
}

/** PROVIDERS are the instance providers the scheduler can run pods on. */
export const PROVIDERS: readonly string[] = ['simulated', 'process'];

/** DEFAULT_POD_CIDR is where pod IPs come from unless --pod-cidr says otherwise. */
export const DEFAULT_POD_CIDR = '10.64.0.0/10';

/**
 * PROCESS_POD_CIDR is the default pod range under the process provider: loopback addresses (all
 * of 127.0.0.0/8 reaches the host on Linux), so a pod IP really reaches the Pod's process, which
 * shares the host's network; probes, endpoints and webhooks that dial it work.
 */
export const PROCESS_POD_CIDR = '127.244.0.0/16';

/** SchedulerFlags are the command-line settings of the instance scheduler. */
export interface SchedulerFlags {
  provider: string;
  /** podCIDR defaults to DEFAULT_POD_CIDR, or PROCESS_POD_CIDR under the process provider. */
  podCIDR?: string;
  /** dataDir is the server's --data-dir: the process provider keeps its Pods under <dataDir>/pods. */
  dataDir?: string;
  /** prepare makes the process provider's environment resolver from the controllers' Client (default: command, args and literal env only). */
  prepare?: (client: Client) => PrepareHook;
}

/** schedulerOptions turns command-line settings into scheduler options; it throws an Error naming the bad flag. */
export function schedulerOptions(flags: SchedulerFlags): InstanceSchedulerOptions {
  if (!PROVIDERS.includes(flags.provider)) throw new Error(`unknown --provider ${JSON.stringify(flags.provider)}: want one of ${PROVIDERS.join(', ')}`);
  const podCIDR = flags.podCIDR ?? (flags.provider === 'process' ? PROCESS_POD_CIDR : DEFAULT_POD_CIDR);
  try {
    new IPAllocator(podCIDR);
  } catch (err) {
    throw new Error(`invalid --pod-cidr: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (flags.provider !== 'process') return { podCIDR };
  const dataDir = path.resolve(flags.dataDir ?? './.nodeless', 'pods');
  const prepare = flags.prepare ?? environmentPrepare;
  return { podCIDR, providerFactory: ({ client, clock }) => new ProcessProvider({ dataDir, clock, prepare: prepare(client) }) };
}

/**
 * environmentPrepare is the process provider's resolver of a Pod's environment as a kubelet builds
 * it (pod-environment.ts): env and envFrom from ConfigMaps and Secrets, the downward API, service
 * variables, volumes mounted at their mountPaths. The Pod the provider is given carries its
 * sandbox address in status.podIP; processes share the host, whose address is the loopback.
 */
export function environmentPrepare(client: Client): PrepareHook {
  const source = clientEnvironmentSource(client);
  return async (pod, scratchDir) => {
    const podIP = pod.status?.podIP;
    return (await preparePod(pod, scratchDir, source, { podIP, podIPs: podIP ? [podIP] : undefined, hostIP: '127.0.0.1', hostIPs: ['127.0.0.1'] })).containers;
  };
}
