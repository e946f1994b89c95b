/**
 * Structural defaulting of custom resources as kube-apiserver does it
 * (apiextensions-apiserver schema/defaulting): defaults are applied while decoding, before the
 * schema validates the object, at every depth (array items, additionalProperties values, nested
 * objects whose parent exists), on create, on update and when stored objects are read after the
 * schema gained a default. A null in a nullable field stays null; a null in a non-nullable
 * field with a default becomes the default, and one without a default is dropped.
 */
import { startTestServer, waitFor, type TestServer } from '../helpers/api-server';
import { CRDS, createEstablished, crdManifest, deleteAndWait } from './helpers';

let t: TestServer;

beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.close());

const THINGS = '/apis/defaulting.example.com/v1/namespaces/default/things';
const thing = (name: string, spec: Record<string, unknown>) => ({ apiVersion: 'defaulting.example.com/v1', kind: 'Thing', metadata: { name }, spec });

const THING_SCHEMA = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      properties: {
        ports: {
          type: 'array',
          items: {
            type: 'object',
            properties: { port: { type: 'integer' }, protocol: { type: 'string', default: 'TCP', enum: ['TCP', 'UDP'] } },
          },
        },
        tiers: {
          type: 'object',
          additionalProperties: { type: 'object', properties: { weight: { type: 'integer', default: 5 }, note: { type: 'string' } } },
        },
        // Defaults inside an absent object stay absent; inside a present one they are filled.
        probe: { type: 'object', properties: { periodSeconds: { type: 'integer', default: 10 }, path: { type: 'string' } } },
        // A defaulted object is itself defaulted inside.
        policy: { type: 'object', default: {}, properties: { mode: { type: 'string', default: 'Strict' } } },
        nullableWithDefault: { type: 'string', nullable: true, default: 'filled' },
        plainWithDefault: { type: 'string', default: 'filled' },
        plainWithoutDefault: { type: 'string' },
        names: { type: 'array', items: { type: 'string', default: 'unnamed' } },
      },
    },
  },
};

describe('structural defaulting of custom resources', () => {
  beforeAll(async () => {
    await createEstablished(t.api, crdManifest({ group: 'defaulting.example.com', kind: 'Thing', schema: THING_SCHEMA }));
  });
  afterAll(() => deleteAndWait(t.api, 'things.defaulting.example.com'));

  it('fills defaults in array items, additionalProperties values and nested objects whose parent exists', async () => {
    const created = (
      await t.api
        .post(THINGS)
        .send(thing('depth', { ports: [{ port: 80 }, { port: 53, protocol: 'UDP' }], tiers: { gold: {}, silver: { weight: 1 } }, probe: { path: '/healthz' } }))
        .expect(201)
    ).body;
    expect(created.spec.ports).toEqual([{ port: 80, protocol: 'TCP' }, { port: 53, protocol: 'UDP' }]);
    expect(created.spec.tiers).toEqual({ gold: { weight: 5 }, silver: { weight: 1 } });
    expect(created.spec.probe).toEqual({ path: '/healthz', periodSeconds: 10 });
    expect(created.spec.policy).toEqual({ mode: 'Strict' });
    // Stored as defaulted: a plain read gives the same.
    expect((await t.api.get(`${THINGS}/depth`).expect(200)).body.spec).toEqual(created.spec);
  });

  it('leaves the insides of an absent object alone', async () => {
    const created = (await t.api.post(THINGS).send(thing('absent', {})).expect(201)).body;
    expect(created.spec.probe).toBeUndefined();
    expect(created.spec.ports).toBeUndefined();
    expect(created.spec.plainWithDefault).toBe('filled');
  });

  it('keeps a null in a nullable field, defaults a null in a non-nullable one and drops it where there is no default', async () => {
    const created = (
      await t.api
        .post(THINGS)
        .send(thing('nulls', { nullableWithDefault: null, plainWithDefault: null, plainWithoutDefault: null, names: [null, 'b'] }))
        .expect(201)
    ).body;
    expect(created.spec.nullableWithDefault).toBeNull();
    expect(created.spec.plainWithDefault).toBe('filled');
    expect('plainWithoutDefault' in created.spec).toBe(false);
    expect(created.spec.names).toEqual(['unnamed', 'b']);
    // An omitted nullable field with a default is defaulted like any other.
    const omitted = (await t.api.post(THINGS).send(thing('nulls-omitted', {})).expect(201)).body;
    expect(omitted.spec.nullableWithDefault).toBe('filled');
  });

  it('defaults on update, before validation', async () => {
    const stored = (await t.api.post(THINGS).send(thing('updated', { ports: [{ port: 1 }] })).expect(201)).body;
    stored.spec = { ports: [{ port: 1 }, { port: 2 }], tiers: { bronze: {} } };
    const updated = (await t.api.put(`${THINGS}/updated`).send(stored).expect(200)).body;
    expect(updated.spec.ports).toEqual([{ port: 1, protocol: 'TCP' }, { port: 2, protocol: 'TCP' }]);
    expect(updated.spec.tiers).toEqual({ bronze: { weight: 5 } });
    const patched = (
      await t.api
        .patch(`${THINGS}/updated`)
        .set('Content-Type', 'application/merge-patch+json')
        .send({ spec: { ports: [{ port: 3 }] } })
        .expect(200)
    ).body;
    expect(patched.spec.ports).toEqual([{ port: 3, protocol: 'TCP' }]);
  });

  it('defaults stored objects on read once the schema gains a default inside array items', async () => {
    await t.api.post(THINGS).send(thing('before-default', { ports: [{ port: 8080 }], names: ['x'] })).expect(201);
    await t.api
      .patch(`${CRDS}/things.defaulting.example.com`)
      .set('Content-Type', 'application/json-patch+json')
      .send([{ op: 'add', path: '/spec/versions/0/schema/openAPIV3Schema/properties/spec/properties/ports/items/properties/port/default', value: 443 }])
      .expect(200);
    // The stored port is kept; a new item without one is defaulted on write, and an old object read shows the new default where absent.
    const created = (await t.api.post(THINGS).send(thing('after-default', { ports: [{}] })).expect(201)).body;
    expect(created.spec.ports).toEqual([{ port: 443, protocol: 'TCP' }]);
    expect((await t.api.get(`${THINGS}/before-default`).expect(200)).body.spec.ports).toEqual([{ port: 8080, protocol: 'TCP' }]);
    const list = await waitFor(async () => {
      const items = (await t.api.get(THINGS).expect(200)).body.items as Array<{ metadata: { name: string }; spec: { ports?: unknown } }>;
      return items.find((i) => i.metadata.name === 'after-default') ? items : undefined;
    }, 'the list to hold after-default');
    expect(list.find((i) => i.metadata.name === 'after-default')!.spec.ports).toEqual([{ port: 443, protocol: 'TCP' }]);
  });
});

// GATEWAY_SCHEMA is Gateway API's gateway.networking.k8s.io/v1 Gateway trimmed to spec.addresses
// as the standard channel's CRD generates it (GatewaySpecAddress with the validateIPAddress
// oneOf): an IPAddress address must be an IPv4 or IPv6 value, and type defaults to IPAddress.
const GATEWAY_SCHEMA = {
  type: 'object',
  description: 'Gateway represents an instance of a service-traffic handling infrastructure by binding Listeners to a set of IP addresses.',
  properties: {
    spec: {
      type: 'object',
      required: ['gatewayClassName'],
      properties: {
        gatewayClassName: { type: 'string', minLength: 1, maxLength: 253 },
        addresses: {
          type: 'array',
          maxItems: 16,
          description: 'Addresses requested for this Gateway.',
          items: {
            type: 'object',
            description: 'GatewaySpecAddress describes an address that can be bound to a Gateway.',
            oneOf: [
              { properties: { type: { enum: ['IPAddress'] }, value: { anyOf: [{ format: 'ipv4' }, { format: 'ipv6' }] } } },
              { properties: { type: { not: { enum: ['IPAddress'] } } } },
            ],
            required: ['value'],
            properties: {
              type: {
                type: 'string',
                description: 'Type of the address.',
                default: 'IPAddress',
                minLength: 1,
                maxLength: 253,
                pattern: "^Hostname|IPAddress|NamedAddress|[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\\/[A-Za-z0-9\\/\\-._~%!$&'()*+,;=:]+$",
              },
              value: { type: 'string', minLength: 1, maxLength: 253 },
            },
          },
        },
      },
    },
  },
};

describe('a Gateway API Gateway whose addresses omit type', () => {
  const GATEWAYS = '/apis/gateway.networking.k8s.io/v1/namespaces/default/gateways';
  const gateway = (name: string, addresses: unknown[]) => ({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name },
    spec: { gatewayClassName: 'example', addresses },
  });

  beforeAll(async () => {
    const crd = crdManifest({ group: 'gateway.networking.k8s.io', kind: 'Gateway', schema: GATEWAY_SCHEMA });
    (crd.metadata as { annotations?: Record<string, string> }).annotations = { 'api-approved.kubernetes.io': 'https://github.com/kubernetes-sigs/gateway-api/pull/2997' };
    await createEstablished(t.api, crd);
  });
  afterAll(() => deleteAndWait(t.api, 'gateways.gateway.networking.k8s.io'));

  it('is accepted with type IPAddress filled in before the oneOf is checked', async () => {
    const created = (await t.api.post(GATEWAYS).send(gateway('gw', [{ value: '192.0.2.10' }, { value: '2001:db8::1' }])).expect(201)).body;
    expect(created.spec.addresses).toEqual([
      { type: 'IPAddress', value: '192.0.2.10' },
      { type: 'IPAddress', value: '2001:db8::1' },
    ]);
  });

  it('accepts a Hostname address and refuses a defaulted IPAddress address that is not an IP', async () => {
    await t.api.post(GATEWAYS).send(gateway('gw-host', [{ type: 'Hostname', value: 'gw.example.com' }])).expect(201);
    const refused = await t.api.post(GATEWAYS).send(gateway('gw-bad', [{ value: 'gw.example.com' }])).expect(422);
    expect(refused.body.message).toContain('spec.addresses[0]');
    expect(refused.body.message).toContain('must validate one and only one schema (oneOf). Found none valid');
    expect(refused.body.message).not.toContain('Found 2 valid alternatives');
  });
});
