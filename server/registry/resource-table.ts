/**
 * ResourceTable: the served resources, built-in and custom, registered at run time. Discovery,
 * OpenAPI and the HTTP dispatcher read it; CRDs add and remove entries while the server runs.
 */
import type { ResourceDefinition } from '../../schemas/types';

/** groupVersion renders "v1" for the core group and "apps/v1" otherwise. */
export function groupVersion(group: string, version: string): string {
  return group ? `${group}/${version}` : version;
}

/** ResourceTable indexes ResourceDefinitions by group/version/plural and notifies on change. */
export class ResourceTable {
  private readonly byPath = new Map<string, ResourceDefinition>();
  private readonly listeners = new Set<() => void>();
  private generationCounter = 0;
  /** groupOrder is the order groups are listed in discovery; groups not in it follow, sorted. */
  private readonly groupOrder: string[];
  private readonly preferred = new Map<string, string>();

  constructor(groupOrder: string[] = []) {
    this.groupOrder = groupOrder;
  }

  /** generation increases on every change, so caches of discovery and OpenAPI know to rebuild. */
  get generation(): number {
    return this.generationCounter;
  }

  /** add serves a resource (replacing one at the same group/version/plural). */
  add(def: ResourceDefinition): void {
    this.byPath.set(pathKey(def.group, def.version, def.plural), def);
    this.changed();
  }

  /** remove stops serving a resource. */
  remove(group: string, version: string, plural: string): void {
    if (this.byPath.delete(pathKey(group, version, plural))) this.changed();
  }

  /** setPreferredVersion fixes a group's preferred version (otherwise the first registered). */
  setPreferredVersion(group: string, version: string): void {
    this.preferred.set(group, version);
    this.changed();
  }

  /** lookup finds the resource served at /{group}/{version}/{plural}. */
  lookup(group: string, version: string, plural: string): ResourceDefinition | undefined {
    return this.byPath.get(pathKey(group, version, plural));
  }

  /** all lists every served resource. */
  all(): ResourceDefinition[] {
    return [...this.byPath.values()];
  }

  /** byKind finds the resource of a kind at a group/version. */
  byKind(group: string, version: string, kind: string): ResourceDefinition | undefined {
    for (const d of this.byPath.values()) if (d.group === group && d.version === version && d.kind === kind) return d;
    return undefined;
  }

  /** groups lists served groups (core "" first) with their versions, preferred version first. */
  groups(): Array<{ group: string; versions: string[]; preferred: string }> {
    const versions = new Map<string, string[]>();
    for (const d of this.byPath.values()) {
      const vs = versions.get(d.group) ?? [];
      if (!vs.includes(d.version)) vs.push(d.version);
      versions.set(d.group, vs);
    }
    const rank = (g: string) => {
      const i = this.groupOrder.indexOf(g);
      return i < 0 ? this.groupOrder.length : i;
    };
    const names = [...versions.keys()].sort((a, b) => (a === '' ? -1 : b === '' ? 1 : rank(a) - rank(b) || a.localeCompare(b)));
    return names.map((group) => {
      const vs = sortVersions(versions.get(group)!);
      const preferred = this.preferred.get(group) && vs.includes(this.preferred.get(group)!) ? this.preferred.get(group)! : vs[0];
      return { group, versions: [preferred, ...vs.filter((v) => v !== preferred)], preferred };
    });
  }

  /** resourcesOf lists the resources of one group/version, sorted by plural. */
  resourcesOf(group: string, version: string): ResourceDefinition[] {
    return this.all()
      .filter((d) => d.group === group && d.version === version)
      .sort((a, b) => a.plural.localeCompare(b.plural));
  }

  /** onChange registers a listener called after every add or remove; it returns an unsubscribe. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    this.generationCounter++;
    for (const l of this.listeners) l();
  }
}

function pathKey(group: string, version: string, plural: string): string {
  return `${group}/${version}/${plural}`;
}

/** sortVersions orders versions the Kubernetes way: GA > beta > alpha, higher numbers first. */
export function sortVersions(versions: string[]): string[] {
  const parse = (v: string) => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return { kube: false, major: 0, stage: 0, minor: 0 };
    return { kube: true, major: Number(m[1]), stage: m[2] === 'alpha' ? 1 : m[2] === 'beta' ? 2 : 3, minor: Number(m[3] ?? 0) };
  };
  return [...versions].sort((a, b) => {
    const x = parse(a);
    const y = parse(b);
    if (x.kube !== y.kube) return x.kube ? -1 : 1;
    if (!x.kube) return a.localeCompare(b);
    return y.stage - x.stage || y.major - x.major || y.minor - x.minor;
  });
}
