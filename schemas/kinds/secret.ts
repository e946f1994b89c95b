/** core/v1 Secret: stringData folded into data, keys checked, type immutable. */
import { defaultSecret } from '../defaults';
import { secretColumns } from '../printers';
import type { FieldError, KubeObject } from '../types';
import { dataValidation } from './configmap';
import { fields, kindOf } from './kind';
import { objectStrategy } from './strategy';

function validateSecret(obj: KubeObject, old?: KubeObject): FieldError[] {
  const errs = dataValidation(['data', 'stringData'])(obj, old);
  if (old && (old.type ?? 'Opaque') !== (obj.type ?? 'Opaque')) {
    errs.push({ type: 'FieldValueInvalid', field: 'type', message: `Invalid value: ${JSON.stringify(obj.type)}: field is immutable` });
  }
  return errs;
}

/** secret is core/v1 secrets. */
export const secret = kindOf('', 'v1', {
  kind: 'Secret', plural: 'secrets', namespaced: true,
  columns: secretColumns,
  defaults: defaultSecret,
  selectableFields: fields('type'),
  strategy: objectStrategy({ status: false, validate: validateSecret }),
});
