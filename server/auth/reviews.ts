/**
 * The review resources of authentication.k8s.io and authorization.k8s.io: a POST is answered
 * with the review's status and nothing is stored. Until RBAC lands every authenticated user is
 * an administrator, so access reviews allow everything, and say why.
 */
import type { KubeObject, ResourceDefinition, UserInfo } from '../../schemas/types';
import { ADMIN_USER, type TokenAuthenticator } from './token';

const ALLOWED_REASON = 'nodeless authorizes every authenticated user (no RBAC yet)';

function withStatus(obj: KubeObject, status: Record<string, unknown>): KubeObject {
  return { ...obj, metadata: { ...(obj.metadata ?? {}), creationTimestamp: undefined }, status };
}

function userInfo(user: UserInfo): Record<string, unknown> {
  return { username: user.username, uid: user.uid, groups: user.groups };
}

/** installReviews gives the review resources of a table their answers. */
export function installReviews(defs: ResourceDefinition[], authenticator?: TokenAuthenticator): void {
  const answers: Record<string, (obj: KubeObject, user: UserInfo) => KubeObject> = {
    'authentication.k8s.io/tokenreviews': (obj) => {
      const token = (obj.spec as { token?: string } | undefined)?.token ?? '';
      const user = authenticator ? authenticator.userOf(token) : ADMIN_USER;
      return withStatus(obj, user ? { authenticated: true, user: userInfo(user), audiences: (obj.spec as { audiences?: string[] })?.audiences } : { authenticated: false, user: {}, error: 'invalid bearer token' });
    },
    'authentication.k8s.io/selfsubjectreviews': (obj, user) => withStatus(obj, { userInfo: userInfo(user) }),
    'authorization.k8s.io/selfsubjectaccessreviews': (obj) => withStatus(obj, { allowed: true, reason: ALLOWED_REASON }),
    'authorization.k8s.io/subjectaccessreviews': (obj) => withStatus(obj, { allowed: true, reason: ALLOWED_REASON }),
    'authorization.k8s.io/localsubjectaccessreviews': (obj) => withStatus(obj, { allowed: true, reason: ALLOWED_REASON }),
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
