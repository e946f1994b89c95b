/**
 * core/v1 ReplicationController: selector and labels default to the template's labels, the
 * selector must match them; generation follows the spec; scale through /scale.
 */
import { replicationControllerDefaults } from '../defaults-core';
import { replicationControllerColumns } from '../printers-pod';
import { validateReplicationController } from '../validation/core';
import { fields, kindOf, replicasScale } from './kind';
import { objectStrategy, statusStrategy } from './strategy';
import { podSpecAt } from './disabled-pod-fields';
import { validateReplicaSetStatus } from '../validation/workload-status';

/** replicationController is core/v1 replicationcontrollers. */
export const replicationController = kindOf('', 'v1', {
  kind: 'ReplicationController', plural: 'replicationcontrollers', namespaced: true, shortNames: ['rc'],
  categories: ['all'], subresources: replicasScale('.spec.selector'),
  columns: replicationControllerColumns,
  defaults: replicationControllerDefaults,
  selectableFields: fields('status.replicas'),
  strategy: objectStrategy({ podSpec: podSpecAt(['spec', 'template', 'spec']), status: true, generation: true, validate: validateReplicationController }),
  statusStrategy: statusStrategy({ metadata: 'client', validate: validateReplicaSetStatus }),
});
