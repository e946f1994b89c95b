/**
 * A synthetic CustomResourceDefinition shaped like prometheus-operator's Prometheus CRD (about
 * 700 KB of JSON): a spec of many deeply nested objects, arrays of objects and maps, long
 * descriptions on every field, a pod-template-like subtree repeated in several places (as
 * containers and initContainers are), enums, formats, patterns, int-or-string fields, list
 * types and a few defaults. Deterministic for a given index; different indexes give different
 * groups, kinds and field names, so ten of them are ten distinct schemas.
 */
import type { KubeObject } from '../../schemas/types';

type Schema = Record<string, unknown>;

// A small deterministic generator (mulberry32), so that every run builds the same CRDs.
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = (
  'the of a selector that contains values key operator relates set if specified pod scheduling constraints ' +
  'describes node affinity rules prefer schedule nodes satisfy expressions field may choose violates more ' +
  'most preferred greatest sum weights each meets requirements resource request compute iterating elements ' +
  'adding weight matches corresponding configuration secret reference must be valid name namespace optional ' +
  'container image port protocol probe period timeout threshold volume mount path read only environment variable'
).split(' ');

/** bigCRD builds the index-th synthetic CRD, of about targetBytes of JSON. */
export function bigCRD(index: number, targetBytes = 700_000): KubeObject {
  const rnd = random(1000 + index);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const sentence = (min: number, max: number) => {
    const n = min + Math.floor(rnd() * (max - min));
    const words = Array.from({ length: n }, () => pick(WORDS));
    return `${words.join(' ')}.`;
  };
  const description = () => Array.from({ length: 1 + Math.floor(rnd() * 4) }, () => sentence(8, 30)).join(' ');
  let names = 0;
  const fieldName = () => `${pick(WORDS)}${pick(WORDS).replace(/^./, (c) => c.toUpperCase())}${index}x${names++}`;

  const leaf = (): Schema => {
    const r = rnd();
    if (r < 0.35) return { type: 'string', description: description() };
    if (r < 0.45) return { type: 'string', description: description(), enum: ['Always', 'Never', 'IfNotPresent'] };
    if (r < 0.5) return { type: 'string', description: description(), pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', maxLength: 63 };
    if (r < 0.6) return { type: 'integer', format: 'int32', description: description(), minimum: 0 };
    if (r < 0.68) return { type: 'boolean', description: description() };
    if (r < 0.74) return { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }], description: description() };
    if (r < 0.8) return { type: 'array', items: { type: 'string' }, description: description() };
    if (r < 0.85) return { type: 'object', additionalProperties: { type: 'string' }, description: description() };
    if (r < 0.9) return { type: 'string', format: 'date-time', description: description() };
    return { type: 'integer', format: 'int64', description: description(), default: 30 };
  };

  const object = (depth: number): Schema => {
    const properties: Record<string, Schema> = {};
    const n = 3 + Math.floor(rnd() * 8);
    for (let i = 0; i < n; i++) {
      const r = rnd();
      if (depth < 6 && r < 0.25) properties[fieldName()] = object(depth + 1);
      else if (depth < 6 && r < 0.35) {
        const items = object(depth + 1);
        const props = items.properties as Record<string, Schema>;
        props.name = { type: 'string', description: description() };
        items.required = ['name'];
        properties[fieldName()] = { type: 'array', description: description(), items, 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'] };
      } else properties[fieldName()] = leaf();
    }
    const keys = Object.keys(properties);
    const out: Schema = { type: 'object', description: description(), properties };
    if (keys.length > 4 && rnd() < 0.3) out.required = [keys[0]];
    return out;
  };

  // The container-like subtree appears several times, as in the real CRDs.
  const container = object(2);
  delete container.required;
  const spec: Schema = { type: 'object', description: description(), properties: {} };
  const specProps = spec.properties as Record<string, Schema>;
  specProps.replicas = { type: 'integer', format: 'int32', description: description(), default: 1 };
  specProps.version = { type: 'string', description: description() };
  specProps.containers = { type: 'array', description: description(), items: structuredClone(container) };
  specProps.initContainers = { type: 'array', description: description(), items: structuredClone(container) };
  const schema: Schema = {
    type: 'object',
    description: description(),
    properties: {
      apiVersion: { type: 'string', description: description() },
      kind: { type: 'string', description: description() },
      metadata: { type: 'object' },
      spec,
      status: { type: 'object', description: description(), properties: { availableReplicas: { type: 'integer' }, conditions: { type: 'array', items: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } } },
    },
    required: ['spec'],
  };
  // Grow the spec until the whole CRD reaches the target size.
  // (The CRD around the schema adds under 1 KB.)
  let size = JSON.stringify(schema).length;
  while (size < targetBytes) {
    const field = object(3);
    const name = fieldName();
    specProps[name] = field;
    size += JSON.stringify(field).length + name.length + 4;
  }
  const group = `big${index}.monitoring.example.com`;
  const kind = `BigThing${index}`;
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `bigthings${index}.${group}` },
    spec: {
      group,
      scope: 'Namespaced',
      names: { plural: `bigthings${index}`, singular: `bigthing${index}`, kind, listKind: `${kind}List` },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [
            { name: 'Version', type: 'string', jsonPath: '.spec.version' },
            { name: 'Replicas', type: 'integer', jsonPath: '.spec.replicas' },
          ],
          schema: { openAPIV3Schema: schema },
        },
      ],
    },
  };
}

/** bigCustomResource is a valid custom resource of bigCRD(index): a version, replicas and one container. */
export function bigCustomResource(index: number, name: string): KubeObject {
  return {
    apiVersion: `big${index}.monitoring.example.com/v1`,
    kind: `BigThing${index}`,
    metadata: { name },
    spec: { version: 'v2.45.0', containers: [{}] },
  };
}
