/**
 * apps/v1 Deployment: generation moves with the spec and with the annotations (kube's strategy
 * counts an annotation change, such as a rollback request, as a change of intent); status writes
 * keep the stored spec and labels.
 */
import { defaultDeployment } from '../defaults';
import { jsonEqual } from '../meta/json';
import { deploymentColumns } from '../printers-pod';
import { validateDeployment } from '../validation/apps';
import { kindOf, replicasScale } from './kind';
import { objectStrategy, specChangedExceptStatus, statusStrategy } from './strategy';
import { podSpecAt } from './disabled-pod-fields';
import { validateDeploymentStatus } from '../validation/workload-status';

/** deployment is apps/v1 deployments. */
export const deployment = kindOf('apps', 'v1', {
  kind: 'Deployment', plural: 'deployments', namespaced: true, shortNames: ['deploy'], categories: ['all'],
  subresources: replicasScale('.spec.selector'),
  columns: deploymentColumns,
  defaults: defaultDeployment,
  strategy: objectStrategy({
    podSpec: podSpecAt(['spec', 'template', 'spec']),
    status: true,
    generation: true,
    specChanged: (d, old) => specChangedExceptStatus(d, old) || !jsonEqual(d.metadata?.annotations, old.metadata?.annotations),
    validate: validateDeployment,
  }),
  statusStrategy: statusStrategy({ metadata: 'client', keepLabels: true, validate: validateDeploymentStatus }),
});
