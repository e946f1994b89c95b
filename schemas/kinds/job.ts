/**
 * batch/v1 Job: generation moves with the spec; without manualSelector the API server generates
 * the selector and the pod labels from the Job's uid; status writes keep the stored spec.
 */
import { defaultJob } from '../defaults';
import { jobColumns } from '../printers-pod';
import type { KubeObject } from '../types';
import { STATUS, fields, kindOf } from './kind';
import { objectStrategy } from './strategy';

// generateSelector gives a Job without manualSelector the selector and pod labels the API server
// generates from its uid.
function generateSelector(job: KubeObject): void {
  const spec = (job.spec ?? {}) as { manualSelector?: boolean; selector?: unknown; template?: { metadata?: { labels?: Record<string, string> } } };
  if (spec.manualSelector === true) return;
  const uid = job.metadata?.uid ?? '';
  const name = job.metadata?.name ?? '';
  spec.selector = { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } };
  const template = (spec.template ??= {});
  const meta = (template.metadata ??= {});
  meta.labels = { ...(meta.labels ?? {}), 'batch.kubernetes.io/controller-uid': uid, 'batch.kubernetes.io/job-name': name, 'controller-uid': uid, 'job-name': name };
  job.spec = spec;
}

/** job is batch/v1 jobs. */
export const job = kindOf('batch', 'v1', {
  kind: 'Job', plural: 'jobs', namespaced: true, categories: ['all'], subresources: STATUS,
  columns: jobColumns,
  defaults: defaultJob,
  selectableFields: fields('status.successful'),
  strategy: objectStrategy({ status: true, generation: true, prepareForCreate: generateSelector }),
});
