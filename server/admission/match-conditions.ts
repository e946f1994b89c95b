/**
 * The matchConditions matcher kube shares between admission policies and webhooks
 * (matchconditions/matcher.go with cel/filter.go's error wording).
 */
import { evaluateAdmissionCel, type AdmissionCelScope } from '../../schemas/admission-cel';

/** MatchCondition is one named CEL condition of a policy or webhook. */
export interface MatchCondition {
  name: string;
  expression: string;
}

/**
 * matchConditions decides matchConditions as kube's matcher (shared by policies and webhooks,
 * each with its own CEL scope): false when any is false (even after an error), else the errors
 * (one message, or several as "[a, b]"), else true.
 */
export function matchConditions(conditions: MatchCondition[], activation: Record<string, unknown>, scope: AdmissionCelScope = 'policy'): boolean | string {
  const failures: string[] = [];
  for (const c of conditions) {
    let result: unknown;
    try {
      result = evaluateAdmissionCel(c.expression, scope, activation);
    } catch (err) {
      failures.push(`expression '${c.expression}' resulted in error: ${(err as Error).message}`);
      continue;
    }
    if (result === false) return false;
    if (result !== true) failures.push(`expression '${c.expression}' resulted in error: expected a bool result`);
  }
  if (!failures.length) return true;
  return failures.length === 1 ? failures[0] : `[${failures.join(', ')}]`;
}
