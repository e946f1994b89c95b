import { builtinResources } from '../../schemas/builtin';
import { canonicalizeQuantities } from '../../server/registry/quantity-fields';
import { definitions } from '../../schemas/openapi-definitions';
import { QuantityError, canonicalQuantity } from '../../schemas/meta/quantity';
import type { FieldError, JSONSchema, KubeObject, ResourceDefinition } from '../../schemas/types';

// fullWalk is the walk canonicalizeQuantities made before it skipped branches that cannot hold a
// Quantity: every key of every object, following the schema. The fast walk must agree with it.
function fullWalk(def: ResourceDefinition, obj: KubeObject): FieldError[] {
  const errors: FieldError[] = [];
  const ref = (s: JSONSchema | undefined) => (typeof s?.$ref === 'string' ? s.$ref.replace('#/definitions/', '') : undefined);
  const walk = (value: unknown, schema: JSONSchema | undefined, path: string, set: (v: string) => void): void => {
    if (value === null || value === undefined || !schema) return;
    const name = ref(schema);
    if (name === 'io.k8s.apimachinery.pkg.api.resource.Quantity') {
      if (typeof value !== 'string' && typeof value !== 'number') return;
      try {
        set(canonicalQuantity(value));
      } catch (err) {
        if (!(err instanceof QuantityError)) throw err;
        errors.push({ type: 'FieldValueInvalid', field: path, message: `Invalid value: ${JSON.stringify(value)}: ${err.message}` });
      }
      return;
    }
    if (name) return walk(value, definitions[name], path, set);
    if (Array.isArray(value)) {
      value.forEach((v, i) => walk(v, schema.items as JSONSchema | undefined, `${path}[${i}]`, (nv) => (value[i] = nv)));
      return;
    }
    if (typeof value !== 'object') return;
    const o = value as Record<string, unknown>;
    const props = schema.properties as Record<string, JSONSchema> | undefined;
    const additional = schema.additionalProperties as JSONSchema | undefined;
    for (const k of Object.keys(o)) walk(o[k], props?.[k] ?? (typeof additional === 'object' ? additional : undefined), path ? `${path}.${k}` : k, (nv) => (o[k] = nv));
  };
  walk(obj, definitions[def.definitionName!], '', () => undefined);
  return errors;
}

const defs = new Map(builtinResources().map((d) => [`${d.group}/${d.kind}`, d]));
const resources = { cpu: '1000m', memory: '0.5Gi', 'example.com/gpu': 'x1', storage: 2 };
const cases: [string, KubeObject][] = [
  [
    '/Pod',
    {
      metadata: { name: 'p', labels: { cpu: '1000m' }, annotations: { memory: 'bad' } },
      spec: {
        overhead: { cpu: '0.25' },
        containers: [
          { name: 'c', image: 'i', resources: { requests: { ...resources }, limits: { cpu: 'nope', memory: 1.5 } }, env: [{ name: 'E', valueFrom: { resourceFieldRef: { resource: 'limits.cpu', divisor: '1000m' } } }] },
          { name: 'd', image: 'i', resources: 'not an object', ports: [{ containerPort: 80 }] },
        ],
        initContainers: [{ name: 'i', image: 'i', resources: { requests: { cpu: '-1x' } } }],
        volumes: [{ name: 'v', emptyDir: { sizeLimit: '1024Mi' } }, { name: 'w', ephemeral: { volumeClaimTemplate: { spec: { resources: { requests: { storage: '1e3' } } } } } }],
      },
      status: { containerStatuses: [{ name: 'c', allocatedResources: { cpu: '2000m' }, resources: { limits: { memory: 'bad value' } } }] },
    } as KubeObject,
  ],
  ['/ResourceQuota', { metadata: { name: 'q' }, spec: { hard: { 'requests.cpu': '1000m', pods: '10', bad: 'what' } }, status: { used: { cpu: '0.1' } } } as KubeObject],
  ['/LimitRange', { metadata: { name: 'l' }, spec: { limits: [{ type: 'Container', max: { cpu: '2000m' }, default: { memory: '1Gi' }, maxLimitRequestRatio: { cpu: 'x' } }] } } as KubeObject],
  ['/PersistentVolumeClaim', { metadata: { name: 'c' }, spec: { resources: { requests: { storage: '1024Mi' } } }, status: { capacity: { storage: 'huge' } } } as KubeObject],
  ['apps/Deployment', { metadata: { name: 'd' }, spec: { template: { spec: { containers: [{ name: 'c', image: 'i', resources: { limits: { cpu: '500m', memory: '1.0Gi' } } }] } } } } as KubeObject],
  ['/ConfigMap', { metadata: { name: 'c' }, data: { cpu: '1000m' } } as KubeObject],
];

describe('canonicalizeQuantities', () => {
  it.each(cases)('%s: the walk that skips quantity-free branches writes the same object and errors as the full walk', (key, obj) => {
    const def = defs.get(key);
    expect(def).toBeDefined();
    const fast = structuredClone(obj);
    const full = structuredClone(obj);
    const fastErrors = canonicalizeQuantities(def!, fast);
    const fullErrors = fullWalk(def!, full);
    expect(fastErrors).toEqual(fullErrors);
    expect(JSON.stringify(fast)).toBe(JSON.stringify(full));
  });

  it('canonicalizes the requests of a Pod and names the invalid ones', () => {
    const pod = structuredClone(cases[0][1]) as KubeObject & { spec: { containers: { resources: { requests: Record<string, unknown> } }[] } };
    const errors = canonicalizeQuantities(defs.get('/Pod')!, pod);
    expect(pod.spec.containers[0].resources.requests).toEqual({ cpu: '1', memory: '512Mi', 'example.com/gpu': 'x1', storage: '2' });
    expect(errors.map((e) => e.field)).toEqual(
      expect.arrayContaining(['spec.containers[0].resources.requests.example.com/gpu', 'spec.containers[0].resources.limits.cpu', 'spec.initContainers[0].resources.requests.cpu', 'status.containerStatuses[0].resources.limits.memory']),
    );
  });
});
