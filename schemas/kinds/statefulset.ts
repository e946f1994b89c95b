/** apps/v1 StatefulSet: generation moves with the spec; status writes keep the stored spec and labels. */
import { defaultStatefulSet } from '../defaults';
import { statefulSetColumns } from '../printers-pod';
import { kindOf, replicasScale } from './kind';
import { objectStrategy, statusStrategy } from './strategy';

/** statefulSet is apps/v1 statefulsets. */
export const statefulSet = kindOf('apps', 'v1', {
  kind: 'StatefulSet', plural: 'statefulsets', namespaced: true, shortNames: ['sts'], categories: ['all'],
  subresources: replicasScale('.spec.selector'),
  columns: statefulSetColumns,
  defaults: defaultStatefulSet,
  strategy: objectStrategy({ status: true, generation: true }),
  statusStrategy: statusStrategy({ metadata: 'client', keepLabels: true }),
});
