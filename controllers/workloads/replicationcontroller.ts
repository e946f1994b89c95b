/**
 * The ReplicationController controller: kube runs it as the ReplicaSet controller over an
 * adapter, and so does nodeless. Only the kind, the resource and the selector differ: a
 * ReplicationController's spec.selector is a plain label map (equality only).
 */
import type { LabelSelectorObject } from '../../schemas/meta/selectors';
import { REPLICATION_CONTROLLERS } from '../runtime/client';
import { ReplicaSetController, type ReplicaSetControllerOptions, type ReplicatedKind } from './replicaset';

/** REPLICATION_CONTROLLER_KIND is core/v1 ReplicationController, whose selector is a label map. */
export const REPLICATION_CONTROLLER_KIND: ReplicatedKind = {
  controllerName: 'replicationcontroller-controller',
  resource: REPLICATION_CONTROLLERS,
  kind: 'ReplicationController',
  selectorOf(spec) {
    const selector = spec.selector as Record<string, string> | undefined;
    // An empty map would select every pod; validation refuses it, and here it selects none.
    if (!selector || typeof selector !== 'object' || !Object.keys(selector).length) return undefined;
    return { matchLabels: { ...selector } } satisfies LabelSelectorObject;
  },
};

/** ReplicationControllerController reconciles core/v1 ReplicationControllers. */
export class ReplicationControllerController extends ReplicaSetController {
  constructor(options: Omit<ReplicaSetControllerOptions, 'kind'> = {}) {
    super({ ...options, kind: REPLICATION_CONTROLLER_KIND });
  }
}
