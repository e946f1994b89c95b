/** core/v1 ResourceQuota. */
import { resourceQuotaColumns } from '../printers';
import { validateResourceQuota } from '../validation/core';
import { STATUS, kindOf } from './kind';
import { objectStrategy } from './strategy';

/** resourceQuota is core/v1 resourcequotas. */
export const resourceQuota = kindOf('', 'v1', {
  kind: 'ResourceQuota', plural: 'resourcequotas', namespaced: true, shortNames: ['quota'], subresources: STATUS,
  columns: resourceQuotaColumns,
  strategy: objectStrategy({ status: true, validate: validateResourceQuota }),
});
