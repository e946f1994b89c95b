/** batch/v1 CronJob: generation moves with the spec; status writes keep the stored spec. */
import { defaultCronJob } from '../defaults';
import { cronJobColumns } from '../printers-pod';
import { validateCronJob } from '../validation/batch';
import { STATUS, kindOf } from './kind';
import { objectStrategy } from './strategy';
import { podSpecAt } from './disabled-pod-fields';

/** cronJob is batch/v1 cronjobs. */
export const cronJob = kindOf('batch', 'v1', {
  kind: 'CronJob', plural: 'cronjobs', namespaced: true, shortNames: ['cj'], categories: ['all'], subresources: STATUS,
  columns: cronJobColumns,
  defaults: defaultCronJob,
  strategy: objectStrategy({ podSpec: podSpecAt(['spec', 'jobTemplate', 'spec', 'template', 'spec']), status: true, generation: true, validate: validateCronJob }),
});
