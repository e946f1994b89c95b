/**
 * The seam between workload validation and pod validation. kube's workload validators call
 * ValidatePodTemplateSpec on their template; nodeless keeps pod spec rules in one place
 * (schemas/validation/pod.ts, written with the core/v1 work) and reaches them through here, so
 * the workload validators in apps.ts and batch.ts do not change when the pod rules arrive.
 */
import type { FieldError } from '../types';

/**
 * podTemplateErrors returns the pod template rules' errors for the template at path (e.g.
 * "spec.template"). Until schemas/validation/pod.ts is wired in it finds none.
 */
export function podTemplateErrors(_template: unknown, _path: string): FieldError[] {
  return [];
}
