/** core/v1 PodTemplate. */
import { defaultPodTemplate } from '../defaults';
import { podTemplateColumns } from '../printers-pod';
import { validatePodTemplate } from '../validation/pod';
import { kindOf } from './kind';
import { objectStrategy } from './strategy';

/** podTemplate is core/v1 podtemplates. */
export const podTemplate = kindOf('', 'v1', {
  kind: 'PodTemplate', plural: 'podtemplates', namespaced: true,
  columns: podTemplateColumns,
  defaults: defaultPodTemplate,
  strategy: objectStrategy({ status: false, validate: validatePodTemplate }),
});
