/**
 * The service cluster IP range and the allocation rules, without a server: kube's bitmap
 * allocator semantics (usable addresses, static band, dry runs, release), the IP family
 * defaults and refusals of a single-stack IPv4 cluster, and the node ports nodeless refuses;
 * then a restart of an in-process server on one database file keeps every address.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ipFamilyErrors, nodePortErrors, NO_NODE_PORTS } from '../../server/registry/service-allocation';
import { IPAllocatedError, IPNotInRangeError, RangeFullError, ServiceIPRange, ServiceIPRangeError } from '../../server/registry/service-ip-range';
import { createNodeless } from '../../server/server';

describe('ServiceIPRange', () => {
  it('reads kube-style IPv4 ranges and refuses the rest with the reason', () => {
    expect(new ServiceIPRange().cidr).toBe('10.96.0.0/12');
    expect(new ServiceIPRange().first).toBe('10.96.0.1');
    expect(new ServiceIPRange('10.0.0.0/24').free).toBe(254);
    expect(() => new ServiceIPRange('10.96.0.1/12')).toThrow('host bits are set (did you mean 10.96.0.0/12?)');
    expect(() => new ServiceIPRange('10.0.0.0/8')).toThrow(ServiceIPRangeError);
    expect(() => new ServiceIPRange('fd00::/108')).toThrow('only IPv4 ranges are supported');
    expect(() => new ServiceIPRange('nonsense')).toThrow(ServiceIPRangeError);
    expect(() => new ServiceIPRange('10.96.0.0/12,fd00::/108')).toThrow('dual-stack ranges are not supported');
  });

  it('allocates requested addresses once, refuses taken and outside ones, and frees on release', () => {
    const r = new ServiceIPRange('10.0.0.0/28');
    r.allocate('10.0.0.3');
    expect(() => r.allocate('10.0.0.3')).toThrow(IPAllocatedError);
    expect(() => r.allocate('10.0.0.0')).toThrow(new IPNotInRangeError('10.0.0.0', '10.0.0.0/28'));
    expect(() => r.allocate('10.0.0.15')).toThrow(IPNotInRangeError);
    expect(() => r.allocate('10.0.1.1')).toThrow('the provided IP (10.0.1.1) is not in the valid range. The range of valid IPs is 10.0.0.0/28');
    r.release('10.0.0.3');
    expect(r.has('10.0.0.3')).toBe(false);
    r.allocate('10.0.0.3');
    expect(r.allocated).toBe(1);
  });

  it('picks dynamic addresses above the static band first, and every address before the range is full', () => {
    // A /24 has a static band of 16 addresses (10.0.0.1-16).
    const r = new ServiceIPRange('10.0.0.0/24', () => 0);
    expect(r.allocateNext()).toBe('10.0.0.17');
    const seen = new Set(['10.0.0.17']);
    while (r.free > 0) seen.add(r.allocateNext());
    expect(seen.size).toBe(254);
    expect(seen.has('10.0.0.1')).toBe(true);
    expect(() => r.allocateNext()).toThrow(RangeFullError);
  });

  it('keeps each address apart from its neighbours, across the words of the bitmap and up to the last address', () => {
    const r = new ServiceIPRange();
    // Offsets 30-33 straddle the first two 32-bit words; 10.111.255.254 is the last usable address of the /12.
    const ips = ['10.96.0.31', '10.96.0.32', '10.96.0.33', '10.96.0.34', '10.111.255.254'];
    for (const ip of ips) r.allocate(ip);
    expect(ips.every((ip) => r.has(ip))).toBe(true);
    expect(r.has('10.96.0.30')).toBe(false);
    expect(r.has('10.96.0.35')).toBe(false);
    r.release('10.96.0.32');
    expect(ips.map((ip) => r.has(ip))).toEqual([true, false, true, true, true]);
    r.release('10.96.0.32');
    expect(r.allocated).toBe(4);
    expect(() => r.allocate('10.96.0.33')).toThrow(IPAllocatedError);
    r.allocate('10.96.0.32');
    expect(r.allocated).toBe(5);
  });

  it('checks without taking on a dry run', () => {
    const r = new ServiceIPRange('10.0.0.0/28');
    r.allocate('10.0.0.2', true);
    expect(r.has('10.0.0.2')).toBe(false);
    const next = r.allocateNext(true);
    expect(r.has(next)).toBe(false);
    expect(r.allocated).toBe(0);
  });
});

describe('IP family defaults and refusals', () => {
  it('defaults SingleStack IPv4 and takes the old policy on update', () => {
    const spec: Record<string, unknown> = { type: 'ClusterIP', selector: { a: 'b' } };
    expect(ipFamilyErrors(spec)).toEqual([]);
    expect(spec).toMatchObject({ ipFamilyPolicy: 'SingleStack', ipFamilies: ['IPv4'] });
    const upd: Record<string, unknown> = { type: 'ClusterIP', selector: { a: 'b' } };
    expect(ipFamilyErrors(upd, { ipFamilyPolicy: 'PreferDualStack' })).toEqual([]);
    expect(upd.ipFamilyPolicy).toBe('PreferDualStack');
  });

  it('leaves ExternalName Services alone and refuses unsupported values', () => {
    const ext: Record<string, unknown> = { type: 'ExternalName' };
    expect(ipFamilyErrors(ext)).toEqual([]);
    expect(ext.ipFamilies).toBeUndefined();
    expect(ipFamilyErrors({ ipFamilyPolicy: 'Both' })[0].message).toBe('Unsupported value: "Both": supported values: "PreferDualStack", "RequireDualStack", "SingleStack"');
    expect(ipFamilyErrors({ ipFamilies: ['IPv5'] })[0].field).toBe('spec.ipFamilies[0]');
    expect(ipFamilyErrors({ clusterIPs: ['10.0.0.1', '10.0.0.2'], ipFamilyPolicy: 'SingleStack' }).map((e) => e.message)).toContain(
      "Invalid value: \"SingleStack\": must be 'RequireDualStack' or 'PreferDualStack' when multiple cluster IPs are specified",
    );
    expect(ipFamilyErrors({ clusterIPs: ['10.0.0.1'], ipFamilies: ['IPv6'] })[0].message).toBe('Invalid value: "10.0.0.1": expected an IPv6 value as indicated by `ipFamilies[0]`');
  });
});

describe('node ports', () => {
  it('refuses NodePort, allocateLoadBalancerNodePorts true and explicit node ports; accepts a plain LoadBalancer', () => {
    expect(nodePortErrors({ type: 'NodePort' }).map((e) => e.field)).toEqual(['spec.type']);
    expect(nodePortErrors({ type: 'LoadBalancer', allocateLoadBalancerNodePorts: true })[0].message).toContain(NO_NODE_PORTS);
    expect(nodePortErrors({ type: 'LoadBalancer', ports: [{ nodePort: 0 }, { nodePort: 31000 }], healthCheckNodePort: 32000 }).map((e) => e.field)).toEqual([
      'spec.ports[1].nodePort',
      'spec.healthCheckNodePort',
    ]);
    expect(nodePortErrors({ type: 'LoadBalancer', allocateLoadBalancerNodePorts: false })).toEqual([]);
    expect(nodePortErrors({ type: 'ClusterIP' })).toEqual([]);
  });
});

describe('restart', () => {
  it('rebuilds the allocated set from the stored Services, so no address is handed out twice', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nodeless-svc-'));
    const databasePath = path.join(dir, 'db.sqlite');
    const options = { databasePath, controllers: false, serviceClusterIPRange: '10.99.0.0/28' };
    try {
      const first = await createNodeless(options);
      const ips: string[] = [];
      for (let i = 0; i < 6; i++) {
        const svc = await first.client.create({ group: '', version: 'v1', resource: 'services', namespaced: true, kind: 'Service' }, 'default', {
          apiVersion: 'v1', kind: 'Service', metadata: { name: `s${i}` }, spec: { ports: [{ port: 80 }] },
        });
        ips.push((svc.spec as unknown as { clusterIP: string }).clusterIP);
      }
      await first.close();
      const second = await createNodeless(options);
      try {
        // The kubernetes Service and the six.
        expect(second.serviceIPs.allocated).toBe(7);
        for (const ip of ips) expect(second.serviceIPs.has(ip)).toBe(true);
        const more: string[] = [];
        while (second.serviceIPs.free > 0) {
          const svc = await second.client.create({ group: '', version: 'v1', resource: 'services', namespaced: true, kind: 'Service' }, 'default', {
            apiVersion: 'v1', kind: 'Service', metadata: { name: `t${more.length}` }, spec: { ports: [{ port: 80 }] },
          });
          more.push((svc.spec as unknown as { clusterIP: string }).clusterIP);
        }
        expect(new Set([...ips, ...more, '10.99.0.1']).size).toBe(14);
      } finally {
        await second.close();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
