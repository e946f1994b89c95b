/**
 * ControllerRevisions, as kube's pkg/controller/history: an immutable snapshot of a workload's
 * pod template, named `<owner>-<hash>`, owned (controller=true) by the StatefulSet or DaemonSet,
 * labelled with the template's labels so `kubectl rollout history` finds it through the owner's
 * selector. Data is the strategic merge patch that restores the template, in the shape kube and
 * kubectl use: `{"spec":{"template":{...,"$patch":"replace"}}}` with keys in sorted order, as
 * Go's encoding/json writes a map. `kubectl rollout undo` sends that patch back unchanged.
 */
import type { KubeObject } from '../../schemas/types';
import { CONTROLLER_REVISIONS, isAlreadyExists, isNotFound, type Client } from '../runtime/client';
import { newControllerRef } from '../runtime/controller-ref';

/** CONTROLLER_REVISION_HASH_LABEL is the label a revision carries with its hash (kube's ControllerRevisionHashLabel). */
export const CONTROLLER_REVISION_HASH_LABEL = 'controller.kubernetes.io/hash';

/** ControllerRevision is the part of apps/v1 ControllerRevision the controllers use. */
export interface ControllerRevision extends KubeObject {
  data?: unknown;
  revision?: number;
}

/** canonicalJson renders value as Go's encoding/json renders a decoded map: object keys sorted. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.keys(value as object)
    .sort()
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
  return `{${entries.join(',')}}`;
}

/**
 * templatePatch is the revision data of a workload: its pod template marked to replace the
 * whole template when applied. The typed encoding kube stores always has
 * metadata.creationTimestamp (null), so it is added when missing to keep the same bytes.
 */
export function templatePatch(owner: Readonly<KubeObject>): Record<string, unknown> {
  const template = structuredClone(((owner.spec ?? {}) as { template?: Record<string, unknown> }).template ?? {});
  const metadata = (template.metadata ?? {}) as Record<string, unknown>;
  if (!('creationTimestamp' in metadata)) metadata.creationTimestamp = null;
  template.metadata = metadata;
  template.$patch = 'replace';
  return { spec: { template } };
}

/** applyRevision answers owner with its template restored from revision's data. */
export function applyRevision<T extends KubeObject>(owner: Readonly<T>, revision: Readonly<ControllerRevision>): T {
  const copy = structuredClone(owner) as T;
  const template = structuredClone((((revision.data ?? {}) as { spec?: { template?: Record<string, unknown> } }).spec?.template ?? {}) as Record<string, unknown>);
  delete template.$patch;
  const meta = template.metadata as Record<string, unknown> | undefined;
  if (meta && meta.creationTimestamp === null) delete meta.creationTimestamp;
  (copy.spec as Record<string, unknown>) = { ...(copy.spec as Record<string, unknown>), template };
  return copy;
}

// fnv1_32 is FNV-1 over UTF-8 bytes, the hash Go's hash/fnv New32 computes.
function fnv1_32(text: string): number {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    h = Math.imul(h, 0x01000193) >>> 0;
    h = (h ^ byte) >>> 0;
  }
  return h;
}

// The alphabet of apimachinery's rand.SafeEncodeString: no vowels, no look-alike characters.
const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** safeEncode maps each character of s into the safe alphabet (as rand.SafeEncodeString). */
export function safeEncode(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) out += SAFE_ALPHABET[s.charCodeAt(i) % SAFE_ALPHABET.length];
  return out;
}

/** hashRevision is a revision's hash: FNV-1 of its data, probed with the collision count. */
export function hashRevision(dataJson: string, collisionCount: number | undefined): string {
  const probe = collisionCount === undefined ? '' : String(collisionCount);
  return safeEncode(String(fnv1_32(dataJson + probe)));
}

/** revisionName is `<owner>-<hash>`, the owner's name cut to fit (as ControllerRevisionName). */
export function revisionName(ownerName: string, hash: string): string {
  return `${ownerName.length > 223 ? ownerName.slice(0, 223) : ownerName}-${hash}`;
}

/** newRevision builds (without storing) the revision of owner's current template, labelled with the template's labels and its hash. */
export function newRevision(owner: Readonly<KubeObject>, ownerKind: string, revision: number, collisionCount: number, hashLabel = CONTROLLER_REVISION_HASH_LABEL): ControllerRevision {
  const data = templatePatch(owner);
  const hash = hashRevision(canonicalJson(data), collisionCount);
  const templateLabels = ((owner.spec as { template?: { metadata?: { labels?: Record<string, string> } } } | undefined)?.template?.metadata?.labels ?? {}) as Record<string, string>;
  return {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: {
      name: revisionName(owner.metadata!.name!, hash),
      namespace: owner.metadata!.namespace,
      labels: { ...templateLabels, [hashLabel]: hash },
      // The owner's annotations go along (kubernetes.io/change-cause among them), as kube's do.
      ...(owner.metadata?.annotations && Object.keys(owner.metadata.annotations).length ? { annotations: { ...owner.metadata.annotations } } : {}),
      ownerReferences: [{ ...newControllerRef({ ...owner, apiVersion: 'apps/v1', kind: ownerKind }) }],
    },
    data,
    revision,
  };
}

/** equalRevision is true when two revisions hold the same template. */
export function equalRevision(a: Readonly<ControllerRevision>, b: Readonly<ControllerRevision>): boolean {
  return canonicalJson(a.data) === canonicalJson(b.data);
}

/** sortRevisions orders revisions by revision number, then creation time, then name (as kube's byRevision). */
export function sortRevisions<T extends Readonly<ControllerRevision>>(revisions: readonly T[]): T[] {
  return [...revisions].sort(
    (a, b) =>
      (a.revision ?? 0) - (b.revision ?? 0) ||
      (Date.parse(a.metadata?.creationTimestamp ?? '') || 0) - (Date.parse(b.metadata?.creationTimestamp ?? '') || 0) ||
      (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''),
  );
}

/** nextRevisionNumber is one more than the highest revision (1 for none). */
export function nextRevisionNumber(revisions: readonly Readonly<ControllerRevision>[]): number {
  return revisions.reduce((max, r) => Math.max(max, r.revision ?? 0), 0) + 1;
}

/** HistoryResult is what syncRevisions settled on. */
export interface HistoryResult {
  current: ControllerRevision;
  update: ControllerRevision;
  collisionCount: number;
  /** revisions are every owned revision, the update revision included, sorted */
  revisions: ControllerRevision[];
}

/** SyncRevisionsOptions say whose revisions these are and where the owner's status left them. */
export interface SyncRevisionsOptions {
  /** ownerKind is StatefulSet or DaemonSet (apps/v1) */
  ownerKind: string;
  /** currentName is status.currentRevision */
  currentName?: string;
  /** collisionCount is status.collisionCount */
  collisionCount: number;
  /** hashLabel is the label carrying the hash: controller.kubernetes.io/hash (StatefulSet), controller-revision-hash (DaemonSet) */
  hashLabel?: string;
}

/**
 * syncRevisions finds or makes the revision of owner's template, as kube's
 * getStatefulSetRevisions: an identical latest revision is reused; an identical older one is
 * renumbered to the next revision (a rollback); otherwise a new one is created, and a name
 * taken by a different template bumps the collision count and tries the next name.
 * The current revision is the one named by currentName, or else the update one.
 */
export async function syncRevisions(client: Client, owner: Readonly<KubeObject>, owned: readonly Readonly<ControllerRevision>[], options: SyncRevisionsOptions): Promise<HistoryResult> {
  const { ownerKind, currentName, collisionCount, hashLabel } = options;
  const revisions = sortRevisions(owned) as ControllerRevision[];
  let count = collisionCount;
  let update = newRevision(owner, ownerKind, nextRevisionNumber(revisions), count, hashLabel);
  const equal = revisions.filter((r) => equalRevision(r, update));
  if (equal.length && equal[equal.length - 1] === revisions[revisions.length - 1]) {
    update = equal[equal.length - 1];
  } else if (equal.length) {
    const older = structuredClone(equal[equal.length - 1]) as ControllerRevision;
    older.revision = update.revision;
    update = await client.update(CONTROLLER_REVISIONS, older);
    const i = revisions.findIndex((r) => r.metadata?.name === update.metadata?.name);
    revisions.splice(i, 1);
    revisions.push(update);
  } else {
    for (;;) {
      try {
        update = await client.create(CONTROLLER_REVISIONS, owner.metadata!.namespace, update);
        break;
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
        let existing: ControllerRevision | undefined;
        try {
          existing = await client.get<ControllerRevision>(CONTROLLER_REVISIONS, owner.metadata!.namespace, update.metadata!.name!);
        } catch (getErr) {
          if (!isNotFound(getErr)) throw getErr;
        }
        // The same template under our name (a cache that had not seen it yet): use it.
        if (existing && equalRevision(existing, update) && existing.metadata?.ownerReferences?.some((r) => r.uid === owner.metadata?.uid)) {
          update = existing;
          break;
        }
        if (!existing) continue;
        count++;
        update = newRevision(owner, ownerKind, update.revision!, count, hashLabel);
      }
    }
    revisions.push(update);
  }
  const current = revisions.find((r) => r.metadata?.name === currentName) ?? update;
  return { current, update, collisionCount: count, revisions };
}

/**
 * truncateHistory deletes the oldest revisions beyond limit, never the current or update
 * revision nor one that a live pod still runs (live holds those names).
 */
export async function truncateHistory(client: Client, result: HistoryResult, live: ReadonlySet<string>, limit: number): Promise<void> {
  const keep = new Set([result.current.metadata!.name!, result.update.metadata!.name!, ...live]);
  const history = result.revisions.filter((r) => !keep.has(r.metadata!.name!));
  const excess = history.length - Math.max(0, limit);
  for (const r of history.slice(0, Math.max(0, excess))) {
    try {
      await client.delete(CONTROLLER_REVISIONS, r.metadata!.namespace, r.metadata!.name!, { preconditions: { uid: r.metadata!.uid } });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
