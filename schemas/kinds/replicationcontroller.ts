/** core/v1 ReplicationController: generation follows the spec; scale through /scale. */
import { replicationControllerColumns } from '../printers-pod';
import { fields, kindOf, replicasScale } from './kind';
import { objectStrategy } from './strategy';

/** replicationController is core/v1 replicationcontrollers. */
export const replicationController = kindOf('', 'v1', {
  kind: 'ReplicationController', plural: 'replicationcontrollers', namespaced: true, shortNames: ['rc'],
  categories: ['all'], subresources: replicasScale('.spec.selector'),
  columns: replicationControllerColumns,
  selectableFields: fields('status.replicas'),
  strategy: objectStrategy({ status: true, generation: true }),
});
