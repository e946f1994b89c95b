/**
 * kindMismatch: what kube-apiserver answers when a body's kind is not the endpoint's. For a
 * built-in kind the decoder reads the body as the kind it names and then fails to convert it to
 * the endpoint's internal type, so the 400 reads `Pod in version "v1" cannot be handled as a
 * Namespace: converting (v1.Pod) to (core.Namespace): unknown conversion`. A custom resource is
 * decoded as unstructured and refused by its validation: 422 `kind: Invalid value: "Gadget":
 * must be Widget`.
 */
import type { KubeObject, ResourceDefinition } from '../../schemas/types';
import { badRequest, invalid, type StatusError } from '../../schemas/meta/status-error';

/** internalPackage is the Go package of a group's internal types, which conversion errors name. */
function internalPackage(group: string): string {
  // events.k8s.io Events are core Events inside the server.
  if (group === '' || group === 'events.k8s.io') return 'core';
  return group.split('.')[0];
}

/** kindMismatch is the error for obj, whose kind is not def's, sent to def's endpoint. */
export function kindMismatch(def: ResourceDefinition, obj: KubeObject): StatusError {
  const kind = String(obj.kind);
  if ('crdName' in def) {
    return invalid(def.kind, def.group, obj.metadata?.name ?? '', [
      { type: 'FieldValueInvalid', field: 'kind', message: `Invalid value: ${JSON.stringify(kind)}: must be ${def.kind}` },
    ]);
  }
  return badRequest(
    `${kind} in version ${JSON.stringify(def.version)} cannot be handled as a ${def.kind}: converting (${def.version}.${kind}) to (${internalPackage(def.group)}.${def.kind}): unknown conversion`,
  );
}
