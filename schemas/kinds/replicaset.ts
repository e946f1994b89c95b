/** apps/v1 ReplicaSet: generation moves with the spec; status writes keep the stored spec. */
import { defaultReplicaSet } from '../defaults';
import { replicaSetColumns } from '../printers-pod';
import { validateReplicaSet } from '../validation/apps';
import { fields, kindOf, replicasScale } from './kind';
import { objectStrategy, statusStrategy } from './strategy';
import { podSpecAt } from './disabled-pod-fields';
import { validateReplicaSetStatus } from '../validation/workload-status';

/** replicaSet is apps/v1 replicasets. */
export const replicaSet = kindOf('apps', 'v1', {
  kind: 'ReplicaSet', plural: 'replicasets', namespaced: true, shortNames: ['rs'], categories: ['all'],
  subresources: replicasScale('.spec.selector'),
  columns: replicaSetColumns,
  defaults: defaultReplicaSet,
  selectableFields: fields('status.replicas'),
  strategy: objectStrategy({ podSpec: podSpecAt(['spec', 'template', 'spec']), status: true, generation: true, validate: validateReplicaSet }),
  statusStrategy: statusStrategy({ metadata: 'client', validate: validateReplicaSetStatus }),
});
