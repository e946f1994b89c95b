/**
 * schemaCompileStep is an admission step for CustomResourceDefinition writes that compiles the
 * validators of every version's schema (and of each defaulted field, whose default the CRD's
 * validation checks) before the CRD is validated, yielding to the event loop between pieces.
 * Validation then finds them compiled, so a large CRD (prometheus-operator's are 0.6–0.8 MB)
 * does not hold every other request for seconds. A schema that does not compile is left to
 * validation, which refuses it with the compiler's message.
 */
import type { AdmissionPlugin } from '../registry/admission';
import { compileCustomResourceSchemaAsync } from '../../schemas/crd-ajv';
import { hasDefault, itemsOf, propertiesOf, additionalOf } from '../../schemas/crd-schema';
import { isPlainObject as isRecord } from '../../schemas/meta/json';
import type { JSONSchema, KubeObject } from '../../schemas/types';

/** schemaCompileStep builds the step. */
export function schemaCompileStep(): AdmissionPlugin {
  return {
    name: 'CustomResourceDefinitionSchemaCompile',
    async admit(attrs) {
      const r = attrs.resource;
      if (attrs.operation === 'DELETE' || attrs.subresource || r.group !== 'apiextensions.k8s.io' || r.plural !== 'customresourcedefinitions' || !attrs.object) return;
      await compileVersionSchemas(attrs.object);
    },
  };
}

/** compileVersionSchemas compiles, yielding between pieces, the validators a CRD's validation and serving use. */
export async function compileVersionSchemas(crd: KubeObject): Promise<void> {
  const spec = isRecord(crd.spec) ? (crd.spec as { versions?: unknown }) : {};
  for (const v of Array.isArray(spec.versions) ? spec.versions : []) {
    const schema = isRecord(v) && isRecord(v.schema) ? (v.schema as { openAPIV3Schema?: unknown }).openAPIV3Schema : undefined;
    if (!isRecord(schema)) continue;
    await compileQuietly(schema as JSONSchema);
    for (const s of defaultedSchemas(schema as JSONSchema)) await compileQuietly(s);
  }
}

async function compileQuietly(schema: JSONSchema): Promise<void> {
  try {
    await compileCustomResourceSchemaAsync(schema);
  } catch {
    // Validation compiles it again and reports why it fails.
  }
}

// defaultedSchemas lists the schemas under s that carry a default, as the CRD's default checks visit them.
function defaultedSchemas(s: JSONSchema): JSONSchema[] {
  const out: JSONSchema[] = [];
  const visit = (x: JSONSchema | undefined) => {
    if (!x) return;
    if (hasDefault(x)) out.push(x);
    for (const p of Object.values(propertiesOf(x))) if (isRecord(p)) visit(p);
    visit(itemsOf(x));
    visit(additionalOf(x));
  };
  visit(s);
  return out;
}
