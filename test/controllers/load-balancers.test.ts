/**
 * The service load-balancer and ingress controllers on an in-process server: LoadBalancer
 * Services of no class or nodeless's get a pool address, unique, given back on delete or type
 * change; Ingresses of the default (nodeless) IngressClass share that class's address; other
 * classes are left alone; and a restart on one database keeps every address.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { INGRESSES, INGRESS_CLASSES, SERVICES, type Client } from '../../controllers/runtime/client';
import { DEFAULT_INGRESS_CLASS, INGRESS_CONTROLLER, LOAD_BALANCER_CLASS } from '../../controllers/networking/load-balancer-pool';
import type { KubeObject } from '../../schemas/types';
import { createNodeless } from '../../server/server';
import { namespaceMaker, startTestServer, waitFor, type TestServer } from '../helpers/api-server';

// 192.0.2.0/29 (TEST-NET-1) has five addresses to hand out: .2 to .6.
const POOL = '192.0.2.0/29';
let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ loadBalancerIPPool: POOL });
});
afterAll(() => t.close());
const newNamespace = namespaceMaker(() => t);

const lbService = (name: string, spec: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { type: 'LoadBalancer', ports: [{ port: 80 }], selector: { app: name }, ...spec },
});
const ingress = (name: string, spec: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name },
  spec: { defaultBackend: { service: { name: 'web', port: { number: 80 } } }, ...spec },
});
const ipOf = (obj: KubeObject | undefined) => (obj?.status as { loadBalancer?: { ingress?: Array<{ ip?: string }> } } | undefined)?.loadBalancer?.ingress?.[0]?.ip;

async function addressOf(client: Client, res: typeof SERVICES, ns: string, name: string): Promise<string> {
  return waitFor(async () => ipOf(await client.get(res, ns, name)), `an address for ${ns}/${name}`, 30_000);
}

describe('service load balancers', () => {
  it('gives LoadBalancer Services of no class or nodeless\'s class a unique pool address, and no other Service one', async () => {
    const ns = await newNamespace('lb');
    const c = t.nodeless.client;
    await c.create(SERVICES, ns, lbService('plain'));
    await c.create(SERVICES, ns, lbService('classed', { loadBalancerClass: LOAD_BALANCER_CLASS }));
    await c.create(SERVICES, ns, lbService('foreign', { loadBalancerClass: 'example.com/lb' }));
    await c.create(SERVICES, ns, { ...lbService('internal'), spec: { ports: [{ port: 80 }] } });
    const a = await addressOf(c, SERVICES, ns, 'plain');
    const b = await addressOf(c, SERVICES, ns, 'classed');
    expect(a).toMatch(/^192\.0\.2\.[2-6]$/);
    expect(b).toMatch(/^192\.0\.2\.[2-6]$/);
    expect(a).not.toBe(b);
    const plain = await c.get(SERVICES, ns, 'plain');
    expect((plain.status as { loadBalancer: unknown }).loadBalancer).toEqual({ ingress: [{ ip: a, ipMode: 'VIP' }] });
    // The Service of another class and the ClusterIP one stay without an address.
    expect(ipOf(await c.get(SERVICES, ns, 'foreign'))).toBeUndefined();
    expect(ipOf(await c.get(SERVICES, ns, 'internal'))).toBeUndefined();

    // A type change takes the address away; deletion gives it back to the pool.
    await c.patch(SERVICES, ns, 'plain', 'merge', { spec: { type: 'ClusterIP' } });
    await waitFor(async () => ipOf(await c.get(SERVICES, ns, 'plain')) === undefined, 'the status of a Service that is no longer a LoadBalancer to be cleared', 30_000);
    await c.delete(SERVICES, ns, 'classed');
    await c.delete(SERVICES, ns, 'foreign');
    await c.delete(SERVICES, ns, 'internal');
    await c.delete(SERVICES, ns, 'plain');
    // Five new Services fit the five addresses only if both came back.
    const names = ['n1', 'n2', 'n3', 'n4', 'n5'];
    for (const n of names) await c.create(SERVICES, ns, lbService(n));
    const ips = await Promise.all(names.map((n) => addressOf(c, SERVICES, ns, n)));
    expect(new Set(ips).size).toBe(5);
    // The pool is used up: a sixth waits with a Warning event.
    await c.create(SERVICES, ns, lbService('n6'));
    await waitFor(async () => {
      const events = await c.list({ group: '', version: 'v1', resource: 'events', namespaced: true, kind: 'Event' }, ns);
      return events.items.some((e) => (e as { reason?: string }).reason === 'AllocationFailed');
    }, 'an AllocationFailed event', 30_000);
    expect(ipOf(await c.get(SERVICES, ns, 'n6'))).toBeUndefined();
    await c.delete(SERVICES, ns, 'n1');
    expect(await addressOf(c, SERVICES, ns, 'n6')).toBe(ips[0]);
    for (const n of ['n2', 'n3', 'n4', 'n5', 'n6']) await c.delete(SERVICES, ns, n);
  });
});

describe('ingress', () => {
  it('has the default nodeless IngressClass from the first start', async () => {
    const cls = await t.nodeless.client.get(INGRESS_CLASSES, undefined, DEFAULT_INGRESS_CLASS);
    expect(cls.spec).toEqual({ controller: INGRESS_CONTROLLER });
    expect(cls.metadata?.annotations).toEqual({ 'ingressclass.kubernetes.io/is-default-class': 'true' });
  });

  it('gives Ingresses of the default class, named or not, the class\'s one address and leaves other classes alone', async () => {
    const ns = await newNamespace('ing');
    const c = t.nodeless.client;
    await c.create(INGRESS_CLASSES, undefined, { apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'other' }, spec: { controller: 'example.com/ingress' } });
    await c.create(INGRESSES, ns, ingress('unnamed'));
    await c.create(INGRESSES, ns, ingress('named', { ingressClassName: DEFAULT_INGRESS_CLASS }));
    await c.create(INGRESSES, ns, ingress('foreign', { ingressClassName: 'other' }));
    await c.create(SERVICES, ns, lbService('lb'));
    const a = await addressOf(c, INGRESSES, ns, 'unnamed');
    expect(await addressOf(c, INGRESSES, ns, 'named')).toBe(a);
    const unnamed = await c.get(INGRESSES, ns, 'unnamed');
    expect(unnamed.status).toEqual({ loadBalancer: { ingress: [{ ip: a }] } });
    // DefaultIngressClass admission named the class on create, as kube's plugin does.
    expect((unnamed.spec as { ingressClassName?: string }).ingressClassName).toBe(DEFAULT_INGRESS_CLASS);
    // The Service's address is its own: one pool, no address twice.
    expect(await addressOf(c, SERVICES, ns, 'lb')).not.toBe(a);
    expect(ipOf(await c.get(INGRESSES, ns, 'foreign'))).toBeUndefined();
    // Moving to the other class takes the address away.
    await c.patch(INGRESSES, ns, 'named', 'merge', { spec: { ingressClassName: 'other' } });
    await waitFor(async () => ipOf(await c.get(INGRESSES, ns, 'named')) === undefined, 'the Ingress that left the class to lose its address', 30_000);
    await c.delete(INGRESSES, ns, 'named');
    await c.delete(INGRESSES, ns, 'unnamed');
    await c.delete(INGRESSES, ns, 'foreign');
    await c.delete(SERVICES, ns, 'lb');
    await c.delete(INGRESS_CLASSES, undefined, 'other');
  });
});

describe('restart', () => {
  it('keeps every load-balancer and ingress address and hands out none twice afterwards', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nodeless-lb-'));
    const options = { databasePath: path.join(dir, 'db.sqlite'), scheduler: false, loadBalancerIPPool: POOL };
    try {
      const first = await createNodeless(options);
      await first.client.create(SERVICES, 'default', lbService('a'));
      await first.client.create(SERVICES, 'default', lbService('b'));
      await first.client.create(INGRESSES, 'default', ingress('i'));
      const before = {
        a: await addressOf(first.client, SERVICES, 'default', 'a'),
        b: await addressOf(first.client, SERVICES, 'default', 'b'),
        i: await addressOf(first.client, INGRESSES, 'default', 'i'),
      };
      await first.close();
      const second = await createNodeless(options);
      try {
        await second.client.create(SERVICES, 'default', lbService('c'));
        await second.client.create(SERVICES, 'default', lbService('d'));
        const c = await addressOf(second.client, SERVICES, 'default', 'c');
        const d = await addressOf(second.client, SERVICES, 'default', 'd');
        expect(ipOf(await second.client.get(SERVICES, 'default', 'a'))).toBe(before.a);
        expect(ipOf(await second.client.get(SERVICES, 'default', 'b'))).toBe(before.b);
        expect(ipOf(await second.client.get(INGRESSES, 'default', 'i'))).toBe(before.i);
        expect(new Set([before.a, before.b, before.i, c, d]).size).toBe(5);
      } finally {
        await second.close();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
