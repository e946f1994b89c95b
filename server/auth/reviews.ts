/**
 * The review resources of authentication.k8s.io and authorization.k8s.io: a POST is answered
 * with the review's status and nothing is stored. Access reviews are answered by the same
 * authorizer that guards requests, so `kubectl auth can-i` says what a request would meet.
 */
import type { KubeObject, ResourceDefinition, UserInfo } from '../../schemas/types';
import { ALLOW_ALL_REASON, allowAll, type Authorizer } from './authorizer';
import { ADMIN_USER, type TokenAuthenticator } from './token';

interface ResourceAttributes {
  namespace?: string;
  verb?: string;
  group?: string;
  version?: string;
  resource?: string;
  subresource?: string;
  name?: string;
}

// accessStatus asks the authorizer about a review's resourceAttributes; non-resource paths
// (health, version, metrics) are open to every authenticated user.
function accessStatus(authorizer: Authorizer, user: UserInfo, spec: { resourceAttributes?: ResourceAttributes } | undefined): Record<string, unknown> {
  const ra = spec?.resourceAttributes;
  if (!ra) return { allowed: true, reason: ALLOW_ALL_REASON };
  const d = authorizer.authorize({
    user,
    verb: ra.verb ?? '',
    group: ra.group ?? '',
    version: ra.version ?? '',
    resource: ra.resource ?? '',
    subresource: ra.subresource || undefined,
    namespace: ra.namespace || undefined,
    name: ra.name || undefined,
  });
  return d.decision === 'allow' ? { allowed: true, reason: d.reason } : { allowed: false, ...(d.decision === 'deny' ? { denied: true } : {}), reason: d.reason };
}

// The subject a SubjectAccessReview asks about.
function subjectOf(spec: { user?: string; uid?: string; groups?: string[] } | undefined): UserInfo {
  return { username: spec?.user ?? '', uid: spec?.uid ?? '', groups: spec?.groups ?? [] };
}

function withStatus(obj: KubeObject, status: Record<string, unknown>): KubeObject {
  return { ...obj, metadata: { ...(obj.metadata ?? {}), creationTimestamp: undefined }, status };
}

function userInfo(user: UserInfo): Record<string, unknown> {
  return { username: user.username, uid: user.uid, groups: user.groups };
}

/** installReviews gives the review resources of a table their answers. */
export function installReviews(defs: ResourceDefinition[], authenticator?: TokenAuthenticator, authorizer: Authorizer = allowAll): void {
  const answers: Record<string, (obj: KubeObject, user: UserInfo) => KubeObject> = {
    'authentication.k8s.io/tokenreviews': (obj) => {
      const token = (obj.spec as { token?: string } | undefined)?.token ?? '';
      const user = authenticator ? authenticator.userOf(token) : ADMIN_USER;
      return withStatus(obj, user ? { authenticated: true, user: userInfo(user), audiences: (obj.spec as { audiences?: string[] })?.audiences } : { authenticated: false, user: {}, error: 'invalid bearer token' });
    },
    'authentication.k8s.io/selfsubjectreviews': (obj, user) => withStatus(obj, { userInfo: userInfo(user) }),
    'authorization.k8s.io/selfsubjectaccessreviews': (obj, user) => withStatus(obj, accessStatus(authorizer, user, obj.spec as never)),
    'authorization.k8s.io/subjectaccessreviews': (obj) => withStatus(obj, accessStatus(authorizer, subjectOf(obj.spec as never), obj.spec as never)),
    'authorization.k8s.io/localsubjectaccessreviews': (obj) => withStatus(obj, accessStatus(authorizer, subjectOf(obj.spec as never), obj.spec as never)),
    'authorization.k8s.io/selfsubjectrulesreviews': (obj) =>
      withStatus(obj, {
        resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }],
        nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }],
        incomplete: false,
      }),
  };
  for (const def of defs) {
    const answer = answers[`${def.group}/${def.plural}`];
    if (answer) def.review = answer;
  }
}
