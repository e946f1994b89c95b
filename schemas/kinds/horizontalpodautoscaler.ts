/**
 * autoscaling HorizontalPodAutoscaler at v2 (preferred) and v1: the same objects at two versions,
 * under one store prefix; v1 is converted from and to the v2 form.
 */
import { HPA_V1 } from '../conversions';
import { hpaDefaults } from '../defaults-workloads';
import { horizontalPodAutoscalerColumns } from '../printers';
import { validateHorizontalPodAutoscaler } from '../validation/autoscaling';
import { STATUS, kindOf, type KindFacts } from './kind';
import { objectStrategy } from './strategy';

// In 1.32 horizontalpodautoscalers carry only `all`; the `podautoscalers` category is much later.
const facts: KindFacts = {
  kind: 'HorizontalPodAutoscaler', plural: 'horizontalpodautoscalers', namespaced: true, shortNames: ['hpa'], categories: ['all'], subresources: STATUS,
  columns: horizontalPodAutoscalerColumns,
  defaults: hpaDefaults,
  strategy: objectStrategy({ status: true, generation: true, validate: validateHorizontalPodAutoscaler }),
};

/** horizontalPodAutoscalerV2 is autoscaling/v2 horizontalpodautoscalers. */
export const horizontalPodAutoscalerV2 = kindOf('autoscaling', 'v2', facts);

/** horizontalPodAutoscalerV1 is autoscaling/v1 horizontalpodautoscalers, converted from the v2 form. */
export const horizontalPodAutoscalerV1 = kindOf('autoscaling', 'v1', { ...facts, conversion: HPA_V1 });
