/**
 * The schema a CRD version publishes in /openapi/v2 and /openapi/v3, as apiextensions-apiserver's
 * OpenAPI builder (controller/openapi/builder) makes it, so that kubectl explains and validates
 * custom resources.
 */
import { isPlainObject as isRecord } from './meta/json';
import { additionalOf, embedded, itemsOf, preserves, propertiesOf } from './crd-schema';
import type { JSONSchema } from './types';

const OBJECT_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';
const METADATA_DESCRIPTION = "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";
const API_VERSION_DESCRIPTION =
  'APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources';
const KIND_DESCRIPTION =
  'Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds';

/**
 * publishedSchema is the definition a CRD version publishes, as kube-apiserver builds it: the
 * structural schema with metadata as a reference to ObjectMeta and apiVersion and kind described;
 * for OpenAPI v2, value validations, nullable and the insides of x-kubernetes-preserve-unknown-fields
 * objects are dropped (a root preserving unknown fields publishes a bare object) and defaults pruned.
 */
export function publishedSchema(schema: JSONSchema, refPrefix: string, v2: boolean): JSONSchema {
  if (v2 && preserves(schema)) return { type: 'object' };
  const out = v2 ? toOpenAPIV2(schema) : structuredClone(schema);
  addEmbeddedProperties(out, refPrefix, v2);
  const props = { ...propertiesOf(out) };
  props.apiVersion = { type: 'string', description: API_VERSION_DESCRIPTION };
  props.kind = { type: 'string', description: KIND_DESCRIPTION };
  props.metadata = metadataRef(refPrefix, v2);
  out.properties = props;
  out.type = 'object';
  return out;
}

// metadataRef points at ObjectMeta; OpenAPI v3 wraps a described reference in allOf.
function metadataRef(refPrefix: string, v2: boolean): JSONSchema {
  const ref = `${refPrefix}${OBJECT_META}`;
  return v2 ? { $ref: ref, description: METADATA_DESCRIPTION } : { description: METADATA_DESCRIPTION, allOf: [{ $ref: ref }] };
}

function addEmbeddedProperties(s: JSONSchema, refPrefix: string, v2: boolean): void {
  for (const p of Object.values(propertiesOf(s))) addEmbeddedProperties(p, refPrefix, v2);
  const items = itemsOf(s);
  if (items) addEmbeddedProperties(items, refPrefix, v2);
  const additional = additionalOf(s);
  if (additional) addEmbeddedProperties(additional, refPrefix, v2);
  if (v2 && preserves(s)) return;
  if (embedded(s)) {
    s.properties = {
      ...propertiesOf(s),
      apiVersion: { type: 'string', description: API_VERSION_DESCRIPTION },
      kind: { type: 'string', description: KIND_DESCRIPTION },
      metadata: metadataRef(refPrefix, v2),
    };
    const required = Array.isArray(s.required) ? [...(s.required as string[])] : [];
    for (const f of ['kind', 'apiVersion']) if (!required.includes(f)) required.push(f);
    s.required = required;
  }
}

const VALUE_VALIDATIONS = ['allOf', 'anyOf', 'oneOf', 'not'];

// toOpenAPIV2 follows controller/openapi/v2.ToStructuralOpenAPIV2 and drops defaults.
function toOpenAPIV2(s: JSONSchema): JSONSchema {
  const out: JSONSchema = {};
  for (const [k, v] of Object.entries(s)) {
    if (VALUE_VALIDATIONS.includes(k) || k === 'default' || k === 'x-kubernetes-validations') continue;
    if (k === 'properties' && isRecord(v)) out.properties = Object.fromEntries(Object.entries(v as Record<string, JSONSchema>).map(([n, p]) => [n, toOpenAPIV2(p)]));
    else if ((k === 'items' || k === 'additionalProperties') && isRecord(v)) out[k] = toOpenAPIV2(v as JSONSchema);
    else out[k] = structuredClone(v);
  }
  if (out.nullable === true) {
    delete out.type;
    delete out.nullable;
    delete out.items;
    delete out.properties;
  }
  if (preserves(out)) {
    delete out.items;
    delete out.properties;
    if (out.type === 'object') delete out.type;
  }
  if (out.type === 'array' && out.items === undefined) delete out.type;
  const props = propertiesOf(s);
  if (Array.isArray(out.required)) {
    out.required = (out.required as string[]).filter((f) => !props[f]?.nullable);
    if ((out.required as string[]).length === 0) delete out.required;
  }
  return out;
}
