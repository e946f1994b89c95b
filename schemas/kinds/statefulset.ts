/** apps/v1 StatefulSet: generation moves with the spec; status writes keep the stored spec. */
import { defaultStatefulSet } from '../defaults';
import { statefulSetColumns } from '../printers-pod';
import { statefulSetPrepareForCreate, statefulSetPrepareForUpdate, validateStatefulSet } from '../validation/apps';
import { kindOf, replicasScale } from './kind';
import { objectStrategy, statusStrategy } from './strategy';
import { podSpecAt } from './disabled-pod-fields';
import { validateStatefulSetStatus } from '../validation/workload-status';

/** statefulSet is apps/v1 statefulsets. */
export const statefulSet = kindOf('apps', 'v1', {
  kind: 'StatefulSet', plural: 'statefulsets', namespaced: true, shortNames: ['sts'], categories: ['all'],
  subresources: replicasScale('.spec.selector'),
  columns: statefulSetColumns,
  defaults: defaultStatefulSet,
  nameValidation: 'dns-label',
  strategy: objectStrategy({
    podSpec: podSpecAt(['spec', 'template', 'spec']),
    status: true,
    generation: true,
    prepareForCreate: statefulSetPrepareForCreate,
    prepareForUpdate: statefulSetPrepareForUpdate,
    validate: validateStatefulSet,
  }),
  statusStrategy: statusStrategy({ metadata: 'client', validate: validateStatefulSetStatus }),
});
