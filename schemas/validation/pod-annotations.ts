/**
 * The annotations kube validates on a Pod (and on every pod template) beside its spec: the
 * deprecated seccomp and AppArmor annotations must hold valid profiles, an AppArmor annotation
 * must name a container of the pod, and where an annotation and the matching securityContext
 * field are both set they must say the same thing (kube's validateSeccompAnnotationsAndFields and
 * validateAppArmorAnnotationsAndFieldsMatchOnCreate); pod-deletion-cost must be a 32-bit integer.
 */
import type { FieldError } from '../types';
import { forbiddenField, invalidValue, isObj, listAt, localDescendingPath, objAt, str, type Obj } from './field-errors';

const SECCOMP_POD = 'seccomp.security.alpha.kubernetes.io/pod';
const SECCOMP_CONTAINER = 'container.seccomp.security.alpha.kubernetes.io/';
const APPARMOR_CONTAINER = 'container.apparmor.security.beta.kubernetes.io/';
const DELETION_COST = 'controller.kubernetes.io/pod-deletion-cost';
const LOCALHOST = 'localhost/';

// Every container of the spec with its field path, in kube's visiting order.
function containersWithPaths(spec: Obj | undefined, specPath: string): Array<[Obj, string]> {
  const out: Array<[Obj, string]> = [];
  for (const list of ['initContainers', 'containers', 'ephemeralContainers']) {
    listAt(spec, list).forEach((c, i) => {
      if (isObj(c)) out.push([c, `${specPath}.${list}[${i}]`]);
    });
  }
  return out;
}

function seccompAnnotationValueErrors(value: string, field: string): FieldError[] {
  if (value === 'runtime/default' || value === 'docker/default' || value === 'unconfined') return [];
  if (value.startsWith(LOCALHOST)) return localDescendingPath(value.slice(LOCALHOST.length), field);
  return [invalidValue(field, value, 'must be a valid seccomp profile')];
}

/**
 * podAnnotationErrors is ValidatePodSpecificAnnotations for what nodeless checks: annotations
 * sits at annotationsPath (metadata.annotations on a Pod, <template>.annotations in a template).
 */
export function podAnnotationErrors(meta: Obj | undefined, spec: Obj | undefined, annotationsPath: string): FieldError[] {
  const annotations = objAt(meta, 'annotations') ?? {};
  const errs: FieldError[] = [];
  const names = new Set(containersWithPaths(spec, '').map(([c]) => str(c, 'name')));
  for (const [key, raw] of Object.entries(annotations)) {
    if (typeof raw !== 'string') continue;
    const at = `${annotationsPath}[${key}]`;
    if (key === SECCOMP_POD || key.startsWith(SECCOMP_CONTAINER)) errs.push(...seccompAnnotationValueErrors(raw, at));
    if (key.startsWith(APPARMOR_CONTAINER)) {
      const container = key.slice(APPARMOR_CONTAINER.length);
      if (!names.has(container)) errs.push(invalidValue(at, container, 'container not found'));
      if (raw !== '' && raw !== 'runtime/default' && raw !== 'unconfined' && !raw.startsWith(LOCALHOST)) {
        errs.push(invalidValue(at, raw, `invalid AppArmor profile name: ${JSON.stringify(raw)}`));
      }
    }
    if (key === DELETION_COST && !isInt32(raw)) {
      errs.push(invalidValue(at, raw, 'must be a 32bit integer'));
    }
  }
  return errs;
}

// isInt32 is strconv.ParseInt(value, 10, 32) succeeding.
function isInt32(value: string): boolean {
  if (!/^[+-]?\d+$/.test(value)) return false;
  const n = Number(value);
  return n >= -(2 ** 31) && n <= 2 ** 31 - 1;
}

// profileMismatch compares a deprecated annotation with a profile field of the same kind:
// undefined when they agree, else which of type and localhostProfile differs.
function profileMismatch(annotation: string, profile: Obj, runtimeDefault: readonly string[]): 'type' | 'localhostProfile' | undefined {
  switch (str(profile, 'type')) {
    case 'Unconfined':
      return annotation === 'unconfined' ? undefined : 'type';
    case 'RuntimeDefault':
      return runtimeDefault.includes(annotation) ? undefined : 'type';
    case 'Localhost':
      if (!annotation.startsWith(LOCALHOST)) return 'type';
      return typeof profile.localhostProfile === 'string' && annotation.slice(LOCALHOST.length) === profile.localhostProfile ? undefined : 'localhostProfile';
    default:
      return undefined;
  }
}

/**
 * securityAnnotationMatchErrors finds the seccomp and AppArmor annotations that contradict the
 * profile fields beside them. For AppArmor a container without a profile of its own takes the
 * pod's; a Windows pod is not checked for AppArmor, as in kube.
 */
export function securityAnnotationMatchErrors(meta: Obj | undefined, spec: Obj | undefined, specPath: string): FieldError[] {
  const annotations = objAt(meta, 'annotations') ?? {};
  const errs: FieldError[] = [];
  const mismatch = (what: 'seccomp' | 'apparmor', at: string, which: 'type' | 'localhostProfile') =>
    errs.push(forbiddenField(`${at}.${which}`, `${what} ${which === 'type' ? 'type' : 'profile'} in annotation and field must match`));
  const podSC = objAt(spec, 'securityContext');
  const podSeccomp = objAt(podSC, 'seccompProfile');
  const podAnnotation = annotations[SECCOMP_POD];
  if (podSeccomp && typeof podAnnotation === 'string') {
    const m = profileMismatch(podAnnotation, podSeccomp, ['runtime/default', 'docker/default']);
    if (m) mismatch('seccomp', `${specPath}.securityContext.seccompProfile`, m);
  }
  const windows = str(objAt(spec, 'os'), 'name') === 'windows';
  const podAppArmor = objAt(podSC, 'appArmorProfile');
  for (const [c, at] of containersWithPaths(spec, specPath)) {
    const sc = objAt(c, 'securityContext');
    const seccomp = objAt(sc, 'seccompProfile');
    const seccompAnnotation = annotations[SECCOMP_CONTAINER + str(c, 'name')];
    if (seccomp && typeof seccompAnnotation === 'string') {
      const m = profileMismatch(seccompAnnotation, seccomp, ['runtime/default', 'docker/default']);
      if (m) mismatch('seccomp', `${at}.securityContext.seccompProfile`, m);
    }
    if (windows) continue;
    const apparmor = objAt(sc, 'appArmorProfile') ?? podAppArmor;
    const apparmorAnnotation = annotations[APPARMOR_CONTAINER + str(c, 'name')];
    if (apparmor && typeof apparmorAnnotation === 'string') {
      const m = profileMismatch(apparmorAnnotation, apparmor, ['runtime/default']);
      if (m) mismatch('apparmor', `${at}.securityContext.appArmorProfile`, m);
    }
  }
  return errs;
}
