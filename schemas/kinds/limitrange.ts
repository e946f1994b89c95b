/** core/v1 LimitRange. */
import { defaultLimitRange } from '../defaults';
import { validateLimitRange } from '../validation/core';
import { kindOf } from './kind';
import { objectStrategy } from './strategy';

/** limitRange is core/v1 limitranges (kube prints them with the default table). */
export const limitRange = kindOf('', 'v1', {
  kind: 'LimitRange', plural: 'limitranges', namespaced: true, shortNames: ['limits'],
  defaults: defaultLimitRange,
  strategy: objectStrategy({ status: false, validate: validateLimitRange }),
});
