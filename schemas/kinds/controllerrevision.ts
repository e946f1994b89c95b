/** apps/v1 ControllerRevision. */
import { controllerRevisionColumns } from '../printers';
import { kindOf } from './kind';

/** controllerRevision is apps/v1 controllerrevisions. */
export const controllerRevision = kindOf('apps', 'v1', {
  kind: 'ControllerRevision', plural: 'controllerrevisions', namespaced: true,
  columns: controllerRevisionColumns,
});
