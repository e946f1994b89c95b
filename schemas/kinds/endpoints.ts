/** core/v1 Endpoints. */
import { defaultEndpoints } from '../defaults';
import { endpointsColumns } from '../printers';
import { validateEndpoints } from '../validation/core';
import { kindOf } from './kind';
import { objectStrategy } from './strategy';

/** endpoints is core/v1 endpoints. */
export const endpoints = kindOf('', 'v1', {
  kind: 'Endpoints', plural: 'endpoints', namespaced: true, shortNames: ['ep'],
  columns: endpointsColumns,
  defaults: defaultEndpoints,
  strategy: objectStrategy({ status: false, validate: validateEndpoints }),
});
