/**
 * Pod and container security contexts with kube-apiserver's messages
 * (ValidatePodSecurityContext, ValidateSecurityContext, validateSysctls).
 */
import type { FieldError } from '../types';
import { securityProfileErrors } from './pod-scheduling';
import { type Obj, MAX_INT32, duplicate, invalidValue, isSet, listAt, notSupported, required, str } from './field-errors';

// idErrors checks a user or group id: an int32 that is not negative.
function idErrors(value: unknown, field: string): FieldError[] {
  return typeof value === 'number' && (value < 0 || value > MAX_INT32) ? [invalidValue(field, value, `must be between 0 and ${MAX_INT32}, inclusive`)] : [];
}

/** podSecurityContextErrors checks a PodSecurityContext at field: ids, sysctls, fsGroupChangePolicy and profiles. */
export function podSecurityContextErrors(sc: Obj, field: string): FieldError[] {
  const errs = [...idErrors(sc.fsGroup, `${field}.fsGroup`), ...idErrors(sc.runAsUser, `${field}.runAsUser`), ...idErrors(sc.runAsGroup, `${field}.runAsGroup`)];
  listAt(sc, 'supplementalGroups').forEach((g, i) => errs.push(...idErrors(g, `${field}.supplementalGroups[${i}]`)));
  errs.push(...sysctlErrors(listAt(sc, 'sysctls'), `${field}.sysctls`));
  if (isSet(sc, 'fsGroupChangePolicy') && !['Always', 'OnRootMismatch'].includes(str(sc, 'fsGroupChangePolicy'))) {
    errs.push(notSupported(`${field}.fsGroupChangePolicy`, sc.fsGroupChangePolicy, ['Always', 'OnRootMismatch']));
  }
  errs.push(...securityProfileErrors(sc, field));
  return errs;
}

// Sysctl names as pod validation accepts them: dot- or slash-separated segments.
const SYSCTL_SEGMENT = '[a-z0-9]([-_a-z0-9]*[a-z0-9])?';
const SYSCTL_RE = new RegExp(`^(${SYSCTL_SEGMENT}[\\./])*${SYSCTL_SEGMENT}$`);

function sysctlErrors(sysctls: unknown[], field: string): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  sysctls.forEach((s, i) => {
    const at = `${field}[${i}].name`;
    const name = str(s, 'name');
    if (!name) errs.push(required(at));
    else if (name.length > 253 || !SYSCTL_RE.test(name)) errs.push(invalidValue(at, name, `must have at most 253 characters and match regex ${SYSCTL_RE.source}`));
    else if (seen.has(name)) errs.push(duplicate(at, name));
    seen.add(name);
  });
  return errs;
}

/** containerSecurityContextErrors checks a container's SecurityContext at field: ids, privilege escalation and profiles. */
export function containerSecurityContextErrors(sc: Obj, field: string): FieldError[] {
  const errs = [...idErrors(sc.runAsUser, `${field}.runAsUser`), ...idErrors(sc.runAsGroup, `${field}.runAsGroup`)];
  if (sc.privileged === true && sc.allowPrivilegeEscalation === false) {
    errs.push(invalidValue(field, 'false', 'cannot set `allowPrivilegeEscalation` to false and `privileged` to true'));
  }
  errs.push(...securityProfileErrors(sc, field));
  return errs;
}
