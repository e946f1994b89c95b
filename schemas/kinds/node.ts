/** core/v1 Node: served so that clients can list them, but there are none and none can be made. */
import { nodeColumns } from '../printers';
import { STATUS, fields, kindOf } from './kind';

/** node is core/v1 nodes. */
export const node = kindOf('', 'v1', {
  kind: 'Node', plural: 'nodes', namespaced: false, shortNames: ['no'], subresources: STATUS,
  columns: nodeColumns,
  selectableFields: fields('spec.unschedulable'),
  createForbidden: 'nodes are not supported by nodeless: pods run on serverless instances, not on nodes',
});
