/** core/v1 ConfigMap: data keys checked as config keys, and an immutable ConfigMap keeps its data. */
import { configMapColumns } from '../printers';
import type { FieldError, KubeObject } from '../types';
import { kindOf } from './kind';
import { objectStrategy } from './strategy';

const DATA_KEY = /^[-._a-zA-Z0-9]+$/;

/**
 * dataValidation checks the keys of the given data fields (ConfigMap data and binaryData, Secret
 * data and stringData) and that an object marked immutable keeps them.
 */
export function dataValidation(dataFields: string[]) {
  return (obj: KubeObject, old?: KubeObject): FieldError[] => {
    const errs: FieldError[] = [];
    for (const f of dataFields) {
      const data = obj[f];
      if (data === undefined || data === null || typeof data !== 'object') continue;
      for (const key of Object.keys(data)) {
        if (key.length > 253) errs.push({ type: 'FieldValueTooLong', field: `${f}[${key}]`, message: 'Too long: must have at most 253 bytes' });
        if (!DATA_KEY.test(key)) {
          errs.push({
            type: 'FieldValueInvalid',
            field: `${f}[${key}]`,
            message: `Invalid value: ${JSON.stringify(key)}: a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')`,
          });
        }
      }
    }
    if (dataFields.length === 2 && obj.data && obj.binaryData) {
      for (const key of Object.keys(obj.data as object)) {
        if (key in (obj.binaryData as object)) errs.push({ type: 'FieldValueInvalid', field: `data[${key}]`, message: `Invalid value: ${JSON.stringify(key)}: duplicate of key present in binaryData` });
      }
    }
    if (old && old.immutable === true) {
      if (obj.immutable !== true) errs.push({ type: 'FieldValueForbidden', field: 'immutable', message: 'Forbidden: field is immutable when `immutable` is set' });
      for (const f of dataFields) {
        if (JSON.stringify(obj[f] ?? {}) !== JSON.stringify(old[f] ?? {})) {
          errs.push({ type: 'FieldValueForbidden', field: f, message: 'Forbidden: field is immutable when `immutable` is set' });
        }
      }
    }
    return errs;
  };
}

/** configMap is core/v1 configmaps. */
export const configMap = kindOf('', 'v1', {
  kind: 'ConfigMap', plural: 'configmaps', namespaced: true, shortNames: ['cm'],
  columns: configMapColumns,
  strategy: objectStrategy({ status: false, validate: dataValidation(['data', 'binaryData']) }),
});
