/**
 * batch/v1 Job: generation moves with the spec; without manualSelector the API server generates
 * the selector and the pod labels from the Job's uid; status writes keep the stored spec.
 */
import { defaultJob } from '../defaults';
import { jobColumns } from '../printers-pod';
import { jobPrepareForCreate, validateJob } from '../validation/batch';
import { STATUS, fields, kindOf } from './kind';
import { objectStrategy } from './strategy';
import { podSpecAt } from './disabled-pod-fields';

/** job is batch/v1 jobs. */
export const job = kindOf('batch', 'v1', {
  kind: 'Job', plural: 'jobs', namespaced: true, categories: ['all'], subresources: STATUS,
  columns: jobColumns,
  defaults: defaultJob,
  selectableFields: fields('status.successful'),
  // A DELETE of a batch/v1 Job without a policy orphans its pods, as kube-apiserver keeps for compatibility.
  garbageCollectionPolicy: 'Orphan',
  strategy: objectStrategy({ podSpec: podSpecAt(['spec', 'template', 'spec']), status: true, generation: true, prepareForCreate: jobPrepareForCreate, validate: validateJob }),
});
