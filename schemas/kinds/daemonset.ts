/** apps/v1 DaemonSet: generation moves with the spec; status writes keep the stored spec. */
import { defaultDaemonSet } from '../defaults';
import { daemonSetColumns } from '../printers-pod';
import { daemonSetPrepareForCreate, daemonSetPrepareForUpdate, validateDaemonSet } from '../validation/apps';
import { STATUS, kindOf } from './kind';
import { objectStrategy, statusStrategy } from './strategy';
import { podSpecAt } from './disabled-pod-fields';
import { validateDaemonSetStatus } from '../validation/workload-status';

/** daemonSet is apps/v1 daemonsets. */
export const daemonSet = kindOf('apps', 'v1', {
  kind: 'DaemonSet', plural: 'daemonsets', namespaced: true, shortNames: ['ds'], categories: ['all'], subresources: STATUS,
  columns: daemonSetColumns,
  defaults: defaultDaemonSet,
  strategy: objectStrategy({
    podSpec: podSpecAt(['spec', 'template', 'spec']),
    status: true,
    generation: true,
    // The template generation annotation counts template changes.
    prepareForCreate: daemonSetPrepareForCreate,
    prepareForUpdate: daemonSetPrepareForUpdate,
    validate: validateDaemonSet,
  }),
  statusStrategy: statusStrategy({ metadata: 'client', validate: validateDaemonSetStatus }),
});
