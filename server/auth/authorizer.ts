/**
 * Authorization: the seam where kube-apiserver's authorizer chain (Node, RBAC, webhook) sits.
 * Every API request is described as kube describes it (user, verb, group, resource,
 * subresource, namespace, name) and asked of the authorizer before its handler runs; the
 * access reviews ask the same authorizer. Until RBAC exists the only authorizer allows every
 * authenticated user, and says so.
 */
import type { UserInfo } from '../../schemas/types';
import { forbidden } from '../../schemas/meta/status-error';

/** AuthorizationAttributes describe one resource request as kube's authorizer.Attributes do. */
export interface AuthorizationAttributes {
  user: UserInfo;
  verb: string;
  group: string;
  version: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

/** Decision is an authorizer's answer; `noOpinion` passes the request to the next authorizer of a chain. */
export interface Decision {
  decision: 'allow' | 'deny' | 'noOpinion';
  reason: string;
}

/** Authorizer decides whether a request may proceed. */
export interface Authorizer {
  authorize(attrs: AuthorizationAttributes): Decision;
}

/** ALLOW_ALL_REASON is why the default authorizer lets a request through. */
export const ALLOW_ALL_REASON = 'nodeless authorizes every authenticated user (no RBAC yet)';

/** allowAll is the default authorizer: every authenticated user may do everything. */
export const allowAll: Authorizer = { authorize: () => ({ decision: 'allow', reason: ALLOW_ALL_REASON }) };

/** authorizerChain asks each authorizer in turn; the first allow or deny wins, and no opinion at all is a deny. */
export function authorizerChain(...authorizers: Authorizer[]): Authorizer {
  return {
    authorize(attrs) {
      const reasons: string[] = [];
      for (const a of authorizers) {
        const d = a.authorize(attrs);
        if (d.decision !== 'noOpinion') return d;
        if (d.reason) reasons.push(d.reason);
      }
      return { decision: 'deny', reason: reasons.join(', ') };
    },
  };
}

/**
 * forbiddenRequest is kube's 403 for a request its authorizer refused:
 * `pods "x" is forbidden: User "u" cannot delete resource "pods" in API group "" in the namespace "n"`,
 * with the authorizer's reason after a colon when it gave one.
 */
export function forbiddenRequest(attrs: AuthorizationAttributes, reason: string) {
  const resource = attrs.subresource ? `${attrs.resource}/${attrs.subresource}` : attrs.resource;
  const scope = attrs.namespace ? `in the namespace "${attrs.namespace}"` : 'at the cluster scope';
  const msg = `User "${attrs.user.username}" cannot ${attrs.verb} resource "${resource}" in API group "${attrs.group}" ${scope}`;
  return forbidden({ group: attrs.group, resource: attrs.resource }, attrs.name ?? '', reason ? `${msg}: ${reason}` : msg);
}
