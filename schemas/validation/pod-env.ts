/**
 * Container environment validation with kube-apiserver's messages (ValidateEnv,
 * ValidateEnvFrom, validateEnvVarValueFrom): variable names, ConfigMap and Secret key
 * references, and downward API sources.
 */
import type { FieldError } from '../types';
import { nameErrors } from '../meta/object-meta';
import { type Obj, invalidValue, objAt, required, str } from './field-errors';
import { objectFieldSelector, resourceFieldSelector } from './pod-volumes';

const ENV_FIELD_PATHS = ['metadata.name', 'metadata.namespace', 'metadata.uid', 'spec.nodeName', 'spec.serviceAccountName', 'status.hostIP', 'status.hostIPs', 'status.podIP', 'status.podIPs'];

/** configMapKeyErrors is IsConfigMapKey's message list. */
export function configMapKeyErrors(key: string): string[] {
  const out: string[] = [];
  if (key.length > 253) out.push('must be no more than 253 characters');
  if (!/^[-._a-zA-Z0-9]+$/.test(key)) {
    out.push("a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')");
  }
  if (key === '.') out.push("must not be '.'");
  else if (key === '..') out.push("must not be '..'");
  else if (key.startsWith('..')) out.push("must not start with '..'");
  return out;
}

// envVarNameErrors is IsRelaxedEnvVarName (RelaxedEnvironmentVariableValidation is on in 1.32).
function envVarNameErrors(name: string): string[] {
  for (const ch of name) {
    const c = ch.codePointAt(0)!;
    if (c < 32 || c > 126 || ch === '=') return ["a valid environment variable name must consist only of printable ASCII characters other than '='"];
  }
  return [];
}

function keySelector(s: Obj, field: string): FieldError[] {
  const errs = nameErrors(str(s, 'name'), 'dns-subdomain').map((why) => invalidValue(`${field}.name`, str(s, 'name'), why));
  const key = str(s, 'key');
  if (!key) errs.push(required(`${field}.key`));
  else errs.push(...configMapKeyErrors(key).map((m) => invalidValue(`${field}.key`, key, m)));
  return errs;
}

/** envErrors checks a container's env list at field: names and the one source of each valueFrom. */
export function envErrors(env: unknown[], field: string): FieldError[] {
  const errs: FieldError[] = [];
  env.forEach((ev, i) => {
    const at = `${field}[${i}]`;
    const name = str(ev, 'name');
    if (!name) errs.push(required(`${at}.name`));
    else errs.push(...envVarNameErrors(name).map((m) => invalidValue(`${at}.name`, name, m)));
    const from = objAt(ev, 'valueFrom');
    if (!from) return;
    const vf = `${at}.valueFrom`;
    let sources = 0;
    const fieldRef = objAt(from, 'fieldRef');
    if (fieldRef) sources++, errs.push(...objectFieldSelector(fieldRef, ENV_FIELD_PATHS, `${vf}.fieldRef`));
    const resourceRef = objAt(from, 'resourceFieldRef');
    if (resourceRef) sources++, errs.push(...resourceFieldSelector(resourceRef, `${vf}.resourceFieldRef`, false));
    const cmRef = objAt(from, 'configMapKeyRef');
    if (cmRef) sources++, errs.push(...keySelector(cmRef, `${vf}.configMapKeyRef`));
    const secretRef = objAt(from, 'secretKeyRef');
    if (secretRef) sources++, errs.push(...keySelector(secretRef, `${vf}.secretKeyRef`));
    if (sources === 0) errs.push(invalidValue(vf, '', 'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`'));
    else if (str(ev, 'value')) errs.push(invalidValue(vf, '', 'may not be specified when `value` is not empty'));
    else if (sources > 1) errs.push(invalidValue(vf, '', 'may not have more than one field specified at a time'));
  });
  return errs;
}

/** envFromErrors checks a container's envFrom list at field: prefixes and one ConfigMap or Secret reference each. */
export function envFromErrors(envFrom: unknown[], field: string): FieldError[] {
  const errs: FieldError[] = [];
  envFrom.forEach((ev, i) => {
    const at = `${field}[${i}]`;
    const prefix = str(ev, 'prefix');
    if (prefix) errs.push(...envVarNameErrors(prefix).map((m) => invalidValue(`${at}.prefix`, prefix, m)));
    let sources = 0;
    for (const k of ['configMapRef', 'secretRef']) {
      const ref = objAt(ev, k);
      if (!ref) continue;
      sources++;
      const name = str(ref, 'name');
      if (!name) errs.push(required(`${at}.${k}.name`));
      else errs.push(...nameErrors(name, 'dns-subdomain', true).map((why) => invalidValue(`${at}.${k}.name`, name, why)));
    }
    // kube reports these two on the list, not the entry.
    if (sources === 0) errs.push(invalidValue(field, '', 'must specify one of: `configMapRef` or `secretRef`'));
    else if (sources > 1) errs.push(invalidValue(field, '', 'may not have more than one field specified at a time'));
  });
  return errs;
}
