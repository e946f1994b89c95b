/**
 * generate-descriptions gives schemas/generated/definitions.json the descriptions kube-apiserver
 * publishes: every definition's own and every property's, references included ("template:
 * Template describes the pods that will be created..."), which the client-node models behind
 * generate-definitions.ts do not keep (their generator replaces a referencing field's text with
 * the referenced type's). `kubectl explain` prints these texts, and /openapi/v2 and /openapi/v3
 * carry them.
 *
 * Source: Kubernetes' own api/openapi-spec/swagger.json of the release definitions.json was
 * generated for (v1.32; kubernetes-client/python keeps a copy as kubernetes/swagger.json.unprocessed).
 * Only descriptions are taken; a definition or property kube publishes without one loses ours.
 *
 * Run (dev only), after generate-definitions:
 *   npx tsc -p . && node dist/test/generators/generate-descriptions.js path/to/swagger.json
 */
import * as fs from 'fs';
import * as path from 'path';
import type { JSONSchema } from '../../schemas/types';

type Definitions = Record<string, JSONSchema>;

/** withDescription returns schema with description first (or without one), keeping the rest in order. */
function withDescription(schema: JSONSchema, description: unknown): JSONSchema {
  const { description: _old, ...rest } = schema;
  return typeof description === 'string' && description !== '' ? { description, ...rest } : rest;
}

/**
 * applyDescriptions returns ours with every definition's and property's description replaced
 * by kube's. It throws when a definition of ours is missing from kube's spec: definitions.json
 * and the spec must come from the same release.
 */
export function applyDescriptions(ours: Definitions, kube: Definitions): Definitions {
  const out: Definitions = {};
  for (const [name, schema] of Object.entries(ours)) {
    const published = kube[name];
    if (!published) throw new Error(`${name} is not in the Kubernetes spec: is it the same release?`);
    const next = withDescription(schema, published.description);
    const properties = schema.properties as Record<string, JSONSchema> | undefined;
    const publishedProperties = (published.properties ?? {}) as Record<string, JSONSchema>;
    if (properties) {
      next.properties = Object.fromEntries(
        Object.entries(properties).map(([field, prop]) => [field, withDescription(prop, publishedProperties[field]?.description)]),
      );
    }
    out[name] = next;
  }
  return out;
}

/** main rewrites schemas/generated/definitions.json with the descriptions of the spec named on the command line. */
function main(): void {
  const specFile = process.argv[2];
  if (!specFile) throw new Error('usage: node dist/test/generators/generate-descriptions.js <kubernetes api/openapi-spec/swagger.json>');
  const spec = JSON.parse(fs.readFileSync(specFile, 'utf8')) as { definitions?: Definitions };
  if (!spec.definitions) throw new Error(`${specFile} has no definitions`);
  const file = path.join(__dirname, '..', '..', '..', 'schemas', 'generated', 'definitions.json');
  const ours = JSON.parse(fs.readFileSync(file, 'utf8')) as Definitions;
  fs.writeFileSync(file, `${JSON.stringify(applyDescriptions(ours, spec.definitions), null, 1)}\n`);
}

if (require.main === module) main();
