/** core/v1 ResourceQuota. */
import { resourceQuotaColumns } from '../printers';
import { STATUS, kindOf } from './kind';

/** resourceQuota is core/v1 resourcequotas. */
export const resourceQuota = kindOf('', 'v1', {
  kind: 'ResourceQuota', plural: 'resourcequotas', namespaced: true, shortNames: ['quota'], subresources: STATUS,
  columns: resourceQuotaColumns,
});
