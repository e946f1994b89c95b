/**
 * core/v1 Event validation, as kube's legacyValidateEvent applies it to every Event written
 * through core/v1: an event about a namespaced object lives in that object's namespace; an event
 * that carries an eventTime (the newer shape) must also name its reporting controller and
 * instance, an action and a reason, within kube's length limits.
 */
import type { FieldError, KubeObject } from '../types';
import { nameErrors, qualifiedNameErrors } from '../meta/object-meta';
import { invalidValue, objAt, required, str } from './field-errors';

const LIMITS: Array<[string, number]> = [['reportingInstance', 128], ['action', 128], ['reason', 128]];

/** validateCoreEvent is legacyValidateEvent on a core/v1 Event. */
export function validateCoreEvent(ev: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const namespace = ev.metadata?.namespace ?? '';
  const involvedNamespace = str(objAt(ev, 'involvedObject'), 'namespace');
  const mismatch = () => errs.push(invalidValue('involvedObject.namespace', involvedNamespace, 'does not match event.namespace'));
  if (!str(ev, 'eventTime')) {
    // An event about a cluster-scoped object may sit in "default", for old clients.
    if (involvedNamespace ? namespace !== involvedNamespace : namespace !== '' && namespace !== 'default') mismatch();
  } else {
    if (!involvedNamespace && namespace !== 'default' && namespace !== 'kube-system') mismatch();
    // reportingController is the core/v1 reportingComponent; kube names the internal field.
    const controller = str(ev, 'reportingComponent');
    if (!controller) errs.push(required('reportingController'));
    for (const why of qualifiedNameErrors(controller)) errs.push(invalidValue('reportingController', controller, why));
    for (const [field, limit] of LIMITS) {
      const value = str(ev, field);
      if (!value) errs.push(required(field));
      if (value.length > limit) errs.push(invalidValue(field, '', `can have at most ${limit} characters`));
    }
    if (str(ev, 'message').length > 1024) errs.push(invalidValue('message', '', 'can have at most 1024 characters'));
  }
  for (const why of nameErrors(namespace, 'dns-subdomain')) errs.push(invalidValue('namespace', namespace, why));
  return errs;
}
