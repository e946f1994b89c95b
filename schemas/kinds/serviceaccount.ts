/** core/v1 ServiceAccount. */
import { serviceAccountColumns } from '../printers';
import { kindOf } from './kind';

/** serviceAccount is core/v1 serviceaccounts. */
export const serviceAccount = kindOf('', 'v1', {
  kind: 'ServiceAccount', plural: 'serviceaccounts', namespaced: true, shortNames: ['sa'],
  columns: serviceAccountColumns,
});
