/**
 * The standalone validators `npm run build` writes for the built-in kinds answer exactly as the
 * validators compiled at run time do, for valid and invalid objects alike.
 */
import fs from 'node:fs';
import path from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import { builtinResources } from '../../schemas/builtin';
import { BUILTIN_AJV_OPTIONS, QUICK_AJV_OPTIONS } from '../../schemas/schema-validation';

const DIST = path.join(__dirname, '../../dist/schemas/generated-validators');

const objects: Record<string, unknown[]> = {
  pods: [
    { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'i', ports: [{ containerPort: 80 }] }] } },
    { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 7, image: 'i', ports: [{ containerPort: 'eighty' }] }] } },
    { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', labels: 'x' }, spec: {} },
  ],
  deployments: [
    { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: { selector: { matchLabels: { a: 'b' } }, template: { spec: { containers: [] } } } },
    { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: { replicas: 'two', template: {} } },
  ],
  configmaps: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: 'b' } }, { apiVersion: 'v1', kind: 'ConfigMap', data: { a: 1 } }],
};

describe('precompiled validators', () => {
  const defs = builtinResources();
  beforeAll(() => {
    if (!fs.existsSync(DIST)) throw new Error(`${DIST} is missing: run npm run build first`);
  });
  it.each(Object.keys(objects))('%s: the built validators agree with run-time compiled ones', (plural) => {
    const def = defs.find((d) => d.group === (plural === 'deployments' ? 'apps' : '') && d.plural === plural)!;
    for (const [kind, options] of [['full', BUILTIN_AJV_OPTIONS], ['quick', QUICK_AJV_OPTIONS]] as const) {
      const built = require(path.join(DIST, `${def.definitionName}.${kind}.js`)) as ValidateFunction;
      const compiled = new Ajv(options).compile(def.schema);
      for (const obj of objects[plural]) {
        expect(built(obj)).toBe(compiled(obj));
        expect(built.errors ?? null).toEqual(compiled.errors ?? null);
      }
    }
  });

  it('cover every built-in kind with a schema', () => {
    for (const def of defs) {
      if (!def.definitionName || def.review) continue;
      expect(fs.existsSync(path.join(DIST, `${def.definitionName}.quick.js`))).toBe(true);
      expect(fs.existsSync(path.join(DIST, `${def.definitionName}.full.js`))).toBe(true);
    }
  });
});
