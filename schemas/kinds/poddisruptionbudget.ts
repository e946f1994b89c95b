/** policy/v1 PodDisruptionBudget: generation moves with the spec; minAvailable or maxUnavailable, as kube validates them. */
import { podDisruptionBudgetColumns } from '../printers';
import { validatePodDisruptionBudget } from '../validation/policy';
import { STATUS, kindOf } from './kind';
import { objectStrategy } from './strategy';

/** podDisruptionBudget is policy/v1 poddisruptionbudgets. */
export const podDisruptionBudget = kindOf('policy', 'v1', {
  kind: 'PodDisruptionBudget', plural: 'poddisruptionbudgets', namespaced: true, shortNames: ['pdb'], subresources: STATUS,
  columns: podDisruptionBudgetColumns,
  strategy: objectStrategy({ status: true, generation: true, validate: validatePodDisruptionBudget }),
});
