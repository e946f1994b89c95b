/**
 * Discovery: /api, /apis, /apis/{group}, the per-version resource lists, and the aggregated
 * discovery documents (apidiscovery.k8s.io/v2 and v2beta1) that kubectl asks for first.
 * Documents are rebuilt only when the resource table changes.
 */
import { createHash } from 'node:crypto';
import type { CustomResourceVersion } from '../../schemas/crd';
import type { ResourceDefinition } from '../../schemas/types';
import { groupVersion, type ResourceTable } from '../registry/resource-table';

/**
 * storageVersionHash is kube-apiserver's discovery hash of a storage version: the standard
 * base64 of the first 8 bytes of sha256("<group>/<version>/<kind>") (core group empty, so
 * "/v1/Pod" gives "xPOwRZ+Yhw8=").
 */
export function storageVersionHash(group: string, version: string, kind: string): string {
  return createHash('sha256').update(`${group}/${version}/${kind}`).digest().subarray(0, 8).toString('base64');
}

/**
 * storageVersionOf names the group/version/kind a resource's objects are stored as, or
 * undefined for resources with no storage (reviews), which kube lists without a hash: a CRD
 * version stores its CRD's storage version; a built-in version served through a conversion
 * (autoscaling/v1 HPAs, events.k8s.io Events) stores the version of its storage resource
 * served without one.
 */
function storageVersionOf(def: ResourceDefinition, table: ResourceTable): { group: string; version: string; kind: string } | undefined {
  if (def.review) return undefined;
  const crdStorage = (def as Partial<CustomResourceVersion>).storageVersion;
  if (crdStorage) return { group: def.group, version: crdStorage, kind: def.kind };
  if (!def.conversion && !def.storage) return { group: def.group, version: def.version, kind: def.kind };
  const group = def.storage?.group ?? def.group;
  const plural = def.storage?.plural ?? def.plural;
  const stored = table.all().find((d) => d.group === group && d.plural === plural && !d.conversion && !d.storage);
  return stored ? { group, version: stored.version, kind: stored.kind } : { group: def.group, version: def.version, kind: def.kind };
}

interface SubresourceInfo {
  name: string;
  kind: string;
  group?: string;
  version?: string;
  verbs: string[];
}

function subresourcesOf(def: ResourceDefinition): SubresourceInfo[] {
  const out: SubresourceInfo[] = [];
  const s = def.subresources;
  // In name order, as kube-apiserver lists them.
  if (s.approval) out.push({ name: 'approval', kind: def.kind, verbs: ['get', 'patch', 'update'] });
  if (s.binding) out.push({ name: 'binding', kind: 'Binding', verbs: ['create'] });
  if (s.ephemeralContainers) out.push({ name: 'ephemeralcontainers', kind: def.kind, verbs: ['get', 'patch', 'update'] });
  if (s.eviction) out.push({ name: 'eviction', kind: 'Eviction', group: 'policy', version: 'v1', verbs: ['create'] });
  if (s.finalize) out.push({ name: 'finalize', kind: def.kind, verbs: ['update'] });
  if (s.log) out.push({ name: 'log', kind: def.kind, verbs: ['get'] });
  if (s.scale) out.push({ name: 'scale', kind: 'Scale', group: 'autoscaling', version: 'v1', verbs: ['get', 'patch', 'update'] });
  if (s.status) out.push({ name: 'status', kind: def.kind, verbs: ['get', 'patch', 'update'] });
  return out;
}

/** Discovery builds and caches the discovery documents of a resource table. */
export class Discovery {
  private cache = new Map<string, string>();
  private generation = -1;

  constructor(private readonly resources: ResourceTable, private readonly serverAddress: () => string) {}

  private cached(key: string, build: () => unknown): string {
    if (this.generation !== this.resources.generation) {
      this.cache.clear();
      this.generation = this.resources.generation;
    }
    let v = this.cache.get(key);
    if (v === undefined) {
      v = JSON.stringify(build());
      this.cache.set(key, v);
    }
    return v;
  }

  /** apiVersions is GET /api. */
  apiVersions(): string {
    return this.cached('api', () => ({
      kind: 'APIVersions',
      versions: ['v1'],
      serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: this.serverAddress() }],
    }));
  }

  /** groupList is GET /apis. */
  groupList(): string {
    return this.cached('apis', () => ({
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: this.resources.groups().filter((g) => g.group !== '').map((g) => this.groupBody(g.group)),
    }));
  }

  /** group is GET /apis/{group}, or undefined when the group is not served. */
  group(name: string): string | undefined {
    if (!name || !this.resources.groups().some((g) => g.group === name)) return undefined;
    return this.cached(`group/${name}`, () => ({ kind: 'APIGroup', apiVersion: 'v1', ...this.groupBody(name) }));
  }

  private groupBody(name: string) {
    const g = this.resources.groups().find((x) => x.group === name)!;
    const versions = g.versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
    return { name, versions, preferredVersion: { groupVersion: `${name}/${g.preferred}`, version: g.preferred } };
  }

  /** resourceList is GET /api/v1 or /apis/{group}/{version}, or undefined when not served. */
  resourceList(group: string, version: string): string | undefined {
    const defs = this.resources.resourcesOf(group, version);
    if (defs.length === 0) return undefined;
    return this.cached(`rl/${group}/${version}`, () => {
      const resources: Array<Record<string, unknown>> = [];
      for (const d of defs) {
        const r: Record<string, unknown> = { name: d.plural, singularName: d.singular, namespaced: d.namespaced, kind: d.kind, verbs: d.verbs };
        if (d.shortNames.length) r.shortNames = d.shortNames;
        if (d.categories.length) r.categories = d.categories;
        // Only the resource itself has storage; its subresources are listed without a hash.
        const stored = storageVersionOf(d, this.resources);
        if (stored) r.storageVersionHash = storageVersionHash(stored.group, stored.version, stored.kind);
        resources.push(r);
        for (const s of subresourcesOf(d)) {
          const sr: Record<string, unknown> = { name: `${d.plural}/${s.name}`, singularName: '', namespaced: d.namespaced };
          if (s.group) sr.group = s.group;
          if (s.version) sr.version = s.version;
          sr.kind = s.kind;
          sr.verbs = s.verbs;
          resources.push(sr);
        }
      }
      return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: groupVersion(group, version), resources };
    });
  }

  /** aggregated is the APIGroupDiscoveryList for /api (core) or /apis (every other group). */
  aggregated(core: boolean, version: 'v2' | 'v2beta1'): string {
    return this.cached(`agg/${core}/${version}`, () => {
      const groups = this.resources.groups().filter((g) => (core ? g.group === '' : g.group !== ''));
      const items = groups.map((g) => {
        const item: Record<string, unknown> = { metadata: core ? { creationTimestamp: null } : { name: g.group, creationTimestamp: null } };
        item.versions = g.versions.map((v) => ({
          version: v,
          resources: this.resources.resourcesOf(g.group, v).map((d) => {
            const r: Record<string, unknown> = {
              resource: d.plural,
              responseKind: { group: d.group, version: d.version, kind: d.kind },
              scope: d.namespaced ? 'Namespaced' : 'Cluster',
              singularResource: d.singular,
              verbs: d.verbs,
            };
            if (d.shortNames.length) r.shortNames = d.shortNames;
            if (d.categories.length) r.categories = d.categories;
            const subs = subresourcesOf(d);
            if (subs.length) {
              r.subresources = subs.map((s) => ({
                subresource: s.name,
                responseKind: { group: s.group ?? d.group, version: s.version ?? d.version, kind: s.kind },
                verbs: s.verbs,
              }));
            }
            return r;
          }),
          freshness: 'Current',
        }));
        return item;
      });
      return { kind: 'APIGroupDiscoveryList', apiVersion: `apidiscovery.k8s.io/${version}`, metadata: {}, items };
    });
  }
}

/** aggregatedDiscoveryVersion reads which aggregated discovery version the Accept header asks for first, if any. */
export function aggregatedDiscoveryVersion(accept: string | undefined): 'v2' | 'v2beta1' | undefined {
  if (!accept) return undefined;
  for (const entry of accept.split(',')) {
    const params = entry.split(';').map((s) => s.trim());
    const type = params[0].toLowerCase();
    const p = new Map(params.slice(1).map((kv) => kv.split('=').map((s) => s.trim()) as [string, string]));
    if (type === 'application/json' && p.get('as') === 'APIGroupDiscoveryList' && p.get('g') === 'apidiscovery.k8s.io') {
      const v = p.get('v');
      if (v === 'v2' || v === 'v2beta1') return v;
    }
    if ((type === 'application/json' || type === '*/*') && !p.has('as')) return undefined;
  }
  return undefined;
}
