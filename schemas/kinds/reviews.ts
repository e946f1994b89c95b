/** authentication.k8s.io and authorization.k8s.io reviews: they only answer a POST; nothing is stored. */
import { kindOf } from './kind';

const CREATE_ONLY = ['create'];

/** selfSubjectReview is authentication.k8s.io/v1 selfsubjectreviews. */
export const selfSubjectReview = kindOf('authentication.k8s.io', 'v1', { kind: 'SelfSubjectReview', plural: 'selfsubjectreviews', namespaced: false, verbs: CREATE_ONLY });

/** tokenReview is authentication.k8s.io/v1 tokenreviews. */
export const tokenReview = kindOf('authentication.k8s.io', 'v1', { kind: 'TokenReview', plural: 'tokenreviews', namespaced: false, verbs: CREATE_ONLY });

/** localSubjectAccessReview is authorization.k8s.io/v1 localsubjectaccessreviews. */
export const localSubjectAccessReview = kindOf('authorization.k8s.io', 'v1', { kind: 'LocalSubjectAccessReview', plural: 'localsubjectaccessreviews', namespaced: true, verbs: CREATE_ONLY });

/** selfSubjectAccessReview is authorization.k8s.io/v1 selfsubjectaccessreviews. */
export const selfSubjectAccessReview = kindOf('authorization.k8s.io', 'v1', { kind: 'SelfSubjectAccessReview', plural: 'selfsubjectaccessreviews', namespaced: false, verbs: CREATE_ONLY });

/** selfSubjectRulesReview is authorization.k8s.io/v1 selfsubjectrulesreviews. */
export const selfSubjectRulesReview = kindOf('authorization.k8s.io', 'v1', { kind: 'SelfSubjectRulesReview', plural: 'selfsubjectrulesreviews', namespaced: false, verbs: CREATE_ONLY });

/** subjectAccessReview is authorization.k8s.io/v1 subjectaccessreviews. */
export const subjectAccessReview = kindOf('authorization.k8s.io', 'v1', { kind: 'SubjectAccessReview', plural: 'subjectaccessreviews', namespaced: false, verbs: CREATE_ONLY });
