/**
 * StatusError carries a Kubernetes Status body to the client. The registry turns store errors
 * and validation failures into it; one express error middleware writes it.
 */
import {
  AlreadyExistsError,
  CompactedError,
  ConflictError,
  FutureRevisionError,
  InvalidArgumentError,
  InvalidKeyError,
  InvalidValueError,
  NotFoundError,
  StorageUnavailableError,
  StoreClosedError,
  StoreError,
  WatcherTooSlowError,
} from '../../store';
import type { FieldError } from '../types';

/** StatusCause is one entry of Status.details.causes. */
export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

/** StatusDetails is Status.details. */
export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

/** Status is the metav1.Status body of every error response. */
export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, unknown>;
  status: 'Failure' | 'Success';
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

/** StatusError is an error with a Status body and an HTTP code. */
export class StatusError extends Error {
  readonly status: Status;
  constructor(code: number, reason: string, message: string, details?: StatusDetails) {
    super(message);
    this.name = 'StatusError';
    // Key order is kube's metav1.Status field order; details sits between reason and code.
    this.status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, details: undefined, code };
    if (details) this.status.details = details;
    else delete this.status.details;
  }
  get code(): number {
    return this.status.code;
  }
  get reason(): string {
    return this.status.reason ?? '';
  }
}

/**
 * statusJSON encodes a Status exactly as kube-apiserver's JSON serializer does: fields in the
 * order of metav1.Status (details: name, group, kind, uid, causes, retryAfterSeconds; causes:
 * reason, message, field), empty optional fields omitted, <, > and & escaped the way Go's
 * encoding/json escapes them, and the newline json.Encoder ends every value with.
 */
export function statusJSON(status: Status): string {
  const out: Record<string, unknown> = { kind: 'Status', apiVersion: 'v1', metadata: status.metadata ?? {} };
  if (status.status) out.status = status.status;
  if (status.message) out.message = status.message;
  if (status.reason) out.reason = status.reason;
  const details = canonicalDetails(status.details);
  if (details) out.details = details;
  if (status.code) out.code = status.code;
  return escapeLikeGo(JSON.stringify(out)) + '\n';
}

function canonicalDetails(d: StatusDetails | undefined): Record<string, unknown> | undefined {
  if (!d) return undefined;
  const out: Record<string, unknown> = {};
  if (d.name) out.name = d.name;
  if (d.group) out.group = d.group;
  if (d.kind) out.kind = d.kind;
  if (d.uid) out.uid = d.uid;
  if (d.causes?.length) {
    out.causes = d.causes.map((c) => {
      const cause: Record<string, string> = {};
      if (c.reason) cause.reason = c.reason;
      if (c.message) cause.message = c.message;
      if (c.field) cause.field = c.field;
      return cause;
    });
  }
  if (d.retryAfterSeconds) out.retryAfterSeconds = d.retryAfterSeconds;
  // StatusDetails is a pointer with omitempty: an empty one is still written as {}.
  return out;
}

/** escapeLikeGo applies encoding/json's HTML-safe escaping (and U+2028/U+2029) to JSON text. */
export function escapeLikeGo(json: string): string {
  return /[<>&\u2028\u2029]/.test(json)
    ? json.replace(/[<>&\u2028\u2029]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'))
    : json;
}

/** GroupResource names a resource in messages: "deployments.apps", or "pods" for the core group. */
export interface GroupResource {
  group: string;
  resource: string;
}

/** qualifiedResource renders a group resource the way Kubernetes messages do. */
export function qualifiedResource(gr: GroupResource): string {
  return gr.group ? `${gr.resource}.${gr.group}` : gr.resource;
}

/** notFound is 404 NotFound: `deployments.apps "web" not found`. */
export function notFound(gr: GroupResource, name: string): StatusError {
  return new StatusError(404, 'NotFound', `${qualifiedResource(gr)} "${name}" not found`, {
    name,
    group: gr.group || undefined,
    kind: gr.resource,
  });
}

/** alreadyExists is 409 AlreadyExists. */
export function alreadyExists(gr: GroupResource, name: string): StatusError {
  return new StatusError(409, 'AlreadyExists', `${qualifiedResource(gr)} "${name}" already exists`, {
    name,
    group: gr.group || undefined,
    kind: gr.resource,
  });
}

/** conflict is 409 Conflict with the standard optimistic-concurrency message. */
export function conflict(gr: GroupResource, name: string, why = 'the object has been modified; please apply your changes to the latest version and try again'): StatusError {
  return new StatusError(409, 'Conflict', `Operation cannot be fulfilled on ${qualifiedResource(gr)} "${name}": ${why}`, {
    name,
    group: gr.group || undefined,
    kind: gr.resource,
  });
}

/**
 * MAX_INVALID_CAUSES bounds the field errors one 422 reports. kube-apiserver reports every one
 * (its aggregate only drops repeated messages), so 100,000 invalid label keys made a 62 MB
 * answer; past this bound the causes stop and the message ends with how many more there were.
 */
export const MAX_INVALID_CAUSES = 1000;

/** invalid is 422 Invalid with one cause per field error: `Deployment.apps "web" is invalid: [...]`. */
export function invalid(kind: string, group: string, name: string, errors: FieldError[]): StatusError {
  const qualifiedKind = group ? `${kind}.${group}` : kind;
  const shown = errors.length > MAX_INVALID_CAUSES ? errors.slice(0, MAX_INVALID_CAUSES) : errors;
  // As kube's ErrorList.ToAggregate, a message repeated word for word is written once.
  const rendered = [...new Set(shown.map((e) => (e.field ? `${e.field}: ${e.message}` : e.message)))];
  const more = errors.length - shown.length;
  if (more) rendered.push(`and ${more} more errors`);
  const summary = rendered.length === 1 ? rendered[0] : `[${rendered.join(', ')}]`;
  return new StatusError(422, 'Invalid', `${qualifiedKind} "${name}" is invalid: ${summary}`, {
    name,
    group: group || undefined,
    kind,
    causes: shown.map((e) => ({ reason: e.type, message: e.message, field: e.field })),
  });
}

/** badRequest is 400 BadRequest. */
export function badRequest(message: string): StatusError {
  return new StatusError(400, 'BadRequest', message);
}

/** forbidden is 403 Forbidden: `pods "x" is forbidden: why`. */
export function forbidden(gr: GroupResource, name: string, why: string): StatusError {
  const subject = name ? `${qualifiedResource(gr)} "${name}"` : qualifiedResource(gr);
  return new StatusError(403, 'Forbidden', `${subject} is forbidden: ${why}`, {
    name: name || undefined,
    group: gr.group || undefined,
    kind: gr.resource,
  });
}

/** methodNotSupported is 405 MethodNotSupported. */
export function methodNotSupported(gr: GroupResource, verb: string): StatusError {
  return new StatusError(405, 'MethodNotAllowed', `${verb} is not supported on resources of kind "${qualifiedResource(gr)}"`, {
    group: gr.group || undefined,
    kind: gr.resource,
  });
}

/**
 * methodNotAllowed is the 405 kube-apiserver answers when no route serves the method on a path
 * (go-restful's, through NewGenericServerResponse): a fixed message and empty details.
 */
export function methodNotAllowed(): StatusError {
  return new StatusError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource', {});
}

/** expired is 410 Gone, reason Expired. */
export function expired(message: string): StatusError {
  return new StatusError(410, 'Expired', message);
}

/** tooLargeResourceVersion is 504 Timeout with the cause kube-apiserver gives when a revision is not reached in time. */
export function tooLargeResourceVersion(requested: number, current: number): StatusError {
  return new StatusError(504, 'Timeout', `Too large resource version: ${requested}, current: ${current}`, {
    causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
    retryAfterSeconds: 1,
  });
}

/** internalError is 500 InternalError; its message never carries raw exception text. */
export function internalError(message = 'an internal error occurred'): StatusError {
  return new StatusError(500, 'InternalError', `Internal error occurred: ${message}`);
}

/** fromStoreError maps a typed store error to the Status a client should see. */
export function fromStoreError(err: unknown, gr: GroupResource, name = ''): StatusError {
  if (err instanceof StatusError) return err;
  if (err instanceof NotFoundError) return notFound(gr, name);
  if (err instanceof AlreadyExistsError) return alreadyExists(gr, name);
  if (err instanceof ConflictError) return conflict(gr, name);
  if (err instanceof CompactedError) {
    return expired(`too old resource version: ${err.requestedRevision} (${err.compactedRevision})`);
  }
  if (err instanceof FutureRevisionError) return tooLargeResourceVersion(err.requestedRevision, err.currentRevision);
  if (err instanceof InvalidKeyError || err instanceof InvalidValueError || err instanceof InvalidArgumentError) {
    return badRequest(err.message);
  }
  if (err instanceof WatcherTooSlowError) return new StatusError(410, 'Expired', err.message);
  // kube-apiserver answers an etcd that refuses writes ("etcdserver: mvcc: database space
  // exceeded") with a 500 whose message is etcd's error and whose reason is empty; so does this.
  if (err instanceof StorageUnavailableError) return new StatusError(500, '', err.message);
  if (err instanceof StoreClosedError) return new StatusError(503, 'ServiceUnavailable', 'the server is shutting down');
  if (err instanceof StoreError) return internalError(err.message);
  return internalError();
}
