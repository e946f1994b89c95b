/** core/v1 LimitRange. */
import { defaultLimitRange } from '../defaults';
import { kindOf } from './kind';

/** limitRange is core/v1 limitranges (kube prints them with the default table). */
export const limitRange = kindOf('', 'v1', {
  kind: 'LimitRange', plural: 'limitranges', namespaced: true, shortNames: ['limits'],
  defaults: defaultLimitRange,
});
