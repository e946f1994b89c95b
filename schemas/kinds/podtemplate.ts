/** core/v1 PodTemplate. */
import { defaultPodTemplate } from '../defaults';
import { podTemplateColumns } from '../printers-pod';
import { validatePodTemplate } from '../validation/pod';
import { kindOf } from './kind';
import { objectStrategy } from './strategy';
import { podSpecAt } from './disabled-pod-fields';

/** podTemplate is core/v1 podtemplates. */
export const podTemplate = kindOf('', 'v1', {
  kind: 'PodTemplate', plural: 'podtemplates', namespaced: true,
  columns: podTemplateColumns,
  defaults: defaultPodTemplate,
  strategy: objectStrategy({ podSpec: podSpecAt(['template', 'spec']), status: false, validate: validatePodTemplate }),
});
