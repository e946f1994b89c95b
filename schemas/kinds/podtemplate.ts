/** core/v1 PodTemplate. */
import { defaultPodTemplate } from '../defaults';
import { podTemplateColumns } from '../printers-pod';
import { kindOf } from './kind';

/** podTemplate is core/v1 podtemplates. */
export const podTemplate = kindOf('', 'v1', {
  kind: 'PodTemplate', plural: 'podtemplates', namespaced: true,
  columns: podTemplateColumns,
  defaults: defaultPodTemplate,
});
