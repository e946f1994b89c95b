/**
 * compile-validators writes the schema validators of every built-in kind as standalone
 * modules into dist/schemas/generated-validators, so that the server loads them instead of
 * compiling a large schema (hundreds of milliseconds of a blocked event loop) on a kind's first
 * write. `npm run build` runs it after tsc; the output is build output, never committed.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv';
import standaloneCode from 'ajv/dist/standalone';
import { builtinResources } from './builtin';
import { BUILTIN_AJV_OPTIONS, PRECOMPILED_DIR, QUICK_AJV_OPTIONS, precompiledFile } from './schema-validation';

// inputsHash identifies what the validators are made from: the definitions, the code that turns
// them into schemas, and ajv's version. Unchanged inputs need no new compile.
function inputsHash(): string {
  const hash = createHash('sha256');
  // definitions.json sits in schemas/ beside the sources (this runs from dist/schemas).
  const definitions = [path.join(__dirname, 'generated', 'definitions.json'), path.join(__dirname, '..', '..', 'schemas', 'generated', 'definitions.json')].find((f) => fs.existsSync(f));
  const inputs = [definitions, path.join(__dirname, 'openapi-definitions.js'), path.join(__dirname, 'schema-validation.js'), require.resolve('ajv/package.json')];
  for (const file of inputs) {
    if (!file || !fs.existsSync(file)) throw new Error(`compile-validators: input ${file ?? 'definitions.json'} not found`);
    hash.update(fs.readFileSync(file));
  }
  return hash.digest('hex');
}

/**
 * compileValidators writes both validators of each built-in kind that has a schema, unless the
 * validators of the same inputs are already there; it returns how many kinds it compiled.
 */
export function compileValidators(): number {
  const stamp = path.join(PRECOMPILED_DIR, 'inputs.sha256');
  const hash = inputsHash();
  if (fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === hash) return 0;
  fs.rmSync(PRECOMPILED_DIR, { recursive: true, force: true });
  fs.mkdirSync(PRECOMPILED_DIR, { recursive: true });
  const full = new Ajv({ ...BUILTIN_AJV_OPTIONS, code: { ...BUILTIN_AJV_OPTIONS.code, source: true } });
  const quick = new Ajv({ ...QUICK_AJV_OPTIONS, code: { ...QUICK_AJV_OPTIONS.code, source: true } });
  const done = new Set<string>();
  for (const def of builtinResources()) {
    if (!def.definitionName || def.review || done.has(def.definitionName)) continue;
    done.add(def.definitionName);
    for (const [kind, ajv] of [['full', full], ['quick', quick]] as const) {
      const code = standaloneCode(ajv, ajv.compile(def.schema));
      fs.writeFileSync(precompiledFile(def.definitionName, kind), code);
    }
  }
  fs.writeFileSync(stamp, hash);
  return done.size;
}

if (require.main === module) {
  const started = Date.now();
  const n = compileValidators();
  if (n) process.stdout.write(`compiled the validators of ${n} built-in kinds into ${PRECOMPILED_DIR} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}
