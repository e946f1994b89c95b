/**
 * A pod's volumes materialised as directories under its scratch directory, as a kubelet sets them
 * up: emptyDir a directory; configMap, secret, downwardAPI and projected written by an atomic
 * writer (files in a timestamped ..YYYY_MM_DD_... directory, a ..data symlink to it swapped by
 * rename, and one symlink per top-level entry through ..data, so a reader never sees half an
 * update); persistentVolumeClaim the bound PersistentVolume's hostPath.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { KubeObject } from '../../../schemas/types';
import type { Pod } from '../pod';
import { decodeSecretValue, fieldRefValue, resourceFieldValue, type PodFacts } from './pod-env';

/** VolumeLookups are the objects volumes read, memoised per pod by the caller. */
export interface VolumeLookups {
  configMap(name: string): Promise<KubeObject | undefined>;
  secret(name: string): Promise<KubeObject | undefined>;
  persistentVolumeClaim(name: string): Promise<KubeObject | undefined>;
  persistentVolume(name: string): Promise<KubeObject | undefined>;
  /** serviceAccountToken mints a token for a projected serviceAccountToken source, when the caller can. */
  serviceAccountToken?(audience: string | undefined, expirationSeconds: number): Promise<string | undefined>;
}

/** MountFailure is a volume that cannot be set up, with the message a kubelet's FailedMount event carries. */
export class MountFailure extends Error {
  constructor(readonly volume: string, message: string) {
    super(`MountVolume.SetUp failed for volume "${volume}" : ${message}`);
    this.name = 'MountFailure';
  }
}

/** MaterialisedVolume is a volume's directory on the host and whether every mount of it is read-only. */
export interface MaterialisedVolume {
  hostPath: string;
  readOnly: boolean;
}

/** volumesDir is where a pod's volumes live under its scratch directory: <scratch>/volumes/<name>. */
export function volumesDir(scratchDir: string): string {
  return path.join(scratchDir, 'volumes');
}

interface KeyToPath {
  key: string;
  path: string;
  mode?: number;
}
interface DownwardAPIFile {
  path: string;
  fieldRef?: { fieldPath: string };
  resourceFieldRef?: { containerName?: string; resource: string; divisor?: string };
  mode?: number;
}
type Payload = Map<string, { data: Buffer; mode: number }>;

// checkPayloadPath refuses a path that could leave the volume (validation refuses these too).
function checkPayloadPath(volume: string, p: string): void {
  if (p === '' || path.isAbsolute(p) || p.split('/').some((s) => s === '..') || p.startsWith('..')) {
    throw new MountFailure(volume, `invalid path ${JSON.stringify(p)}: must be relative and may not contain '..'`);
  }
}

function keyPayload(
  volume: string,
  kind: 'configmap' | 'secret',
  data: Record<string, Buffer>,
  items: KeyToPath[] | undefined,
  defaultMode: number,
  optional: boolean,
  into: Payload,
): void {
  if (!items || items.length === 0) {
    for (const [k, v] of Object.entries(data)) into.set(k, { data: v, mode: defaultMode });
    return;
  }
  for (const item of items) {
    const v = data[item.key];
    if (v === undefined) {
      if (optional) continue;
      throw new MountFailure(volume, kind === 'configmap' ? `configmap references non-existent config key: ${item.key}` : `references non-existent secret key: ${item.key}`);
    }
    checkPayloadPath(volume, item.path);
    into.set(item.path, { data: v, mode: item.mode ?? defaultMode });
  }
}

function configMapBytes(cm: KubeObject): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries((cm.data as Record<string, string> | undefined) ?? {})) out[k] = Buffer.from(v, 'utf8');
  for (const [k, v] of Object.entries((cm.binaryData as Record<string, string> | undefined) ?? {})) out[k] = Buffer.from(v, 'base64');
  return out;
}

function secretBytes(s: KubeObject): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries((s.data as Record<string, string> | undefined) ?? {})) out[k] = Buffer.from(decodeSecretValue(v), 'utf8');
  return out;
}

function downwardPayload(volume: string, items: DownwardAPIFile[] | undefined, defaultMode: number, pod: Pod, facts: PodFacts, into: Payload): void {
  for (const item of items ?? []) {
    checkPayloadPath(volume, item.path);
    let text: string;
    try {
      if (item.fieldRef) text = fieldRefValue(item.fieldRef.fieldPath, pod, facts);
      else if (item.resourceFieldRef) text = resourceFieldValue(item.resourceFieldRef, pod, undefined, facts);
      else continue;
    } catch (err) {
      throw new MountFailure(volume, err instanceof Error ? err.message : String(err));
    }
    into.set(item.path, { data: Buffer.from(text, 'utf8'), mode: item.mode ?? defaultMode });
  }
}

// ---------------------------------------------------------------------------
// The atomic writer.

const DATA_LINK = '..data';

function timestampedName(now: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const stamp = `${now.getUTCFullYear()}_${p(now.getUTCMonth() + 1)}_${p(now.getUTCDate())}_${p(now.getUTCHours())}_${p(now.getUTCMinutes())}_${p(now.getUTCSeconds())}`;
  return `..${stamp}.${String(Math.floor(Math.random() * 1e9)).padStart(9, '0')}`;
}

/**
 * writeAtomically makes dir hold exactly payload: a fresh timestamped directory with the files,
 * ..data pointing at it (switched by one rename), a symlink per top-level name through ..data, and
 * the previous timestamped directory and stale names removed afterwards.
 */
export function writeAtomically(dir: string, payload: Payload, now = new Date()): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  const dataLink = path.join(dir, DATA_LINK);
  let previous: string | undefined;
  try {
    previous = fs.readlinkSync(dataLink);
  } catch {
    previous = undefined;
  }
  const fresh = timestampedName(now);
  const freshDir = path.join(dir, fresh);
  fs.mkdirSync(freshDir, { mode: 0o755 });
  for (const [rel, { data, mode }] of payload) {
    const file = path.join(freshDir, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
    fs.writeFileSync(file, data);
    fs.chmodSync(file, mode & 0o777);
  }
  const tmpLink = path.join(dir, '..data_tmp');
  fs.rmSync(tmpLink, { force: true });
  fs.symlinkSync(fresh, tmpLink);
  fs.renameSync(tmpLink, dataLink);

  const top = new Set([...payload.keys()].map((rel) => rel.split('/')[0]));
  for (const name of top) {
    const link = path.join(dir, name);
    let current: string | undefined;
    try {
      current = fs.readlinkSync(link);
    } catch {
      current = undefined;
    }
    if (current !== path.join(DATA_LINK, name)) {
      fs.rmSync(link, { recursive: true, force: true });
      fs.symlinkSync(path.join(DATA_LINK, name), link);
    }
  }
  for (const entry of fs.readdirSync(dir)) {
    if (entry === DATA_LINK || entry === fresh || top.has(entry)) continue;
    const full = path.join(dir, entry);
    const stale = entry.startsWith('..') ? entry === previous || /^\.\.\d{4}_/.test(entry) : isLinkThroughData(full);
    if (stale) fs.rmSync(full, { recursive: true, force: true });
  }
}

function isLinkThroughData(p: string): boolean {
  try {
    return fs.readlinkSync(p).startsWith(`${DATA_LINK}/`);
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------
// Volumes.

interface Volume {
  name: string;
  emptyDir?: Record<string, unknown>;
  configMap?: { name?: string; items?: KeyToPath[]; defaultMode?: number; optional?: boolean };
  secret?: { secretName?: string; items?: KeyToPath[]; defaultMode?: number; optional?: boolean };
  downwardAPI?: { items?: DownwardAPIFile[]; defaultMode?: number };
  projected?: {
    defaultMode?: number;
    sources?: Array<{
      configMap?: { name?: string; items?: KeyToPath[]; optional?: boolean };
      secret?: { name?: string; items?: KeyToPath[]; optional?: boolean };
      downwardAPI?: { items?: DownwardAPIFile[] };
      serviceAccountToken?: { audience?: string; expirationSeconds?: number; path: string };
    }>;
  };
  persistentVolumeClaim?: { claimName: string; readOnly?: boolean };
  [source: string]: unknown;
}

/**
 * materialiseVolumes sets up every volume of the pod under <scratch>/volumes and answers where each
 * one is. A volume source the process provider cannot offer (hostPath, nfs, csi, ...) and a
 * missing object or key fail with MountFailure, as a kubelet's FailedMount; emptyDir contents
 * survive a second call (a container restart), the other sources are rewritten atomically.
 */
export async function materialiseVolumes(pod: Pod, scratchDir: string, lookups: VolumeLookups, facts: PodFacts): Promise<Map<string, MaterialisedVolume>> {
  const out = new Map<string, MaterialisedVolume>();
  const ns = pod.metadata.namespace ?? 'default';
  for (const vol of (pod.spec.volumes as Volume[] | undefined) ?? []) {
    const dir = path.join(volumesDir(scratchDir), vol.name);
    if (vol.emptyDir) {
      // medium Memory is a plain directory too: the instance's memory is not ours to carve.
      fs.mkdirSync(dir, { recursive: true });
      fs.chmodSync(dir, 0o777);
      out.set(vol.name, { hostPath: dir, readOnly: false });
    } else if (vol.configMap) {
      const src = vol.configMap;
      const cm = await lookups.configMap(src.name ?? '');
      if (!cm && !src.optional) throw new MountFailure(vol.name, `configmap "${src.name ?? ''}" not found`);
      const payload: Payload = new Map();
      if (cm) keyPayload(vol.name, 'configmap', configMapBytes(cm), src.items, src.defaultMode ?? 0o644, src.optional === true, payload);
      writeAtomically(dir, payload);
      out.set(vol.name, { hostPath: dir, readOnly: true });
    } else if (vol.secret) {
      const src = vol.secret;
      const s = await lookups.secret(src.secretName ?? '');
      if (!s && !src.optional) throw new MountFailure(vol.name, `secret "${src.secretName ?? ''}" not found`);
      const payload: Payload = new Map();
      if (s) keyPayload(vol.name, 'secret', secretBytes(s), src.items, src.defaultMode ?? 0o644, src.optional === true, payload);
      writeAtomically(dir, payload);
      out.set(vol.name, { hostPath: dir, readOnly: true });
    } else if (vol.downwardAPI) {
      const payload: Payload = new Map();
      downwardPayload(vol.name, vol.downwardAPI.items, vol.downwardAPI.defaultMode ?? 0o644, pod, facts, payload);
      writeAtomically(dir, payload);
      out.set(vol.name, { hostPath: dir, readOnly: true });
    } else if (vol.projected) {
      const mode = vol.projected.defaultMode ?? 0o644;
      const payload: Payload = new Map();
      for (const source of vol.projected.sources ?? []) {
        if (source.configMap) {
          const src = source.configMap;
          const cm = await lookups.configMap(src.name ?? '');
          if (!cm && !src.optional) throw new MountFailure(vol.name, `configmap "${src.name ?? ''}" not found`);
          if (cm) keyPayload(vol.name, 'configmap', configMapBytes(cm), src.items, mode, src.optional === true, payload);
        } else if (source.secret) {
          const src = source.secret;
          const s = await lookups.secret(src.name ?? '');
          if (!s && !src.optional) throw new MountFailure(vol.name, `secret "${src.name ?? ''}" not found`);
          if (s) keyPayload(vol.name, 'secret', secretBytes(s), src.items, mode, src.optional === true, payload);
        } else if (source.downwardAPI) {
          downwardPayload(vol.name, source.downwardAPI.items, mode, pod, facts, payload);
        } else if (source.serviceAccountToken) {
          // Without a token minter the file is left out rather than faked: a client then finds no
          // token, as in a pod whose token request failed.
          const t = source.serviceAccountToken;
          checkPayloadPath(vol.name, t.path);
          const token = await lookups.serviceAccountToken?.(t.audience, t.expirationSeconds ?? 3607);
          if (token !== undefined) payload.set(t.path, { data: Buffer.from(token, 'utf8'), mode });
        }
      }
      writeAtomically(dir, payload);
      out.set(vol.name, { hostPath: dir, readOnly: true });
    } else if (vol.persistentVolumeClaim) {
      out.set(vol.name, { hostPath: await claimPath(vol.name, ns, vol.persistentVolumeClaim.claimName, lookups), readOnly: vol.persistentVolumeClaim.readOnly === true });
    } else {
      const kind = Object.keys(vol).find((k) => k !== 'name') ?? 'unknown';
      throw new MountFailure(vol.name, `volume source ${kind} is not supported by the process provider (emptyDir, configMap, secret, downwardAPI, projected and persistentVolumeClaim are)`);
    }
  }
  return out;
}

// claimPath is the bound PersistentVolume's spec.hostPath.path, created if missing (as a
// hostPath volume of type DirectoryOrCreate), with the kubelet's messages for the rest.
async function claimPath(volume: string, ns: string, claimName: string, lookups: VolumeLookups): Promise<string> {
  const pvc = await lookups.persistentVolumeClaim(claimName);
  if (!pvc) throw new MountFailure(volume, `error processing PVC ${ns}/${claimName}: failed to fetch PVC from API server: persistentvolumeclaims "${claimName}" not found`);
  if (pvc.metadata?.deletionTimestamp) throw new MountFailure(volume, `can't start pod because PVC ${ns}/${claimName} is being deleted`);
  const phase = (pvc.status as { phase?: string } | undefined)?.phase ?? '';
  const volumeName = (pvc.spec as { volumeName?: string } | undefined)?.volumeName ?? '';
  if (phase !== 'Bound' || volumeName === '') {
    throw new MountFailure(volume, `PVC ${ns}/${claimName} has non-bound phase (${JSON.stringify(phase)}) or empty pvc.Spec.VolumeName (${JSON.stringify(volumeName)})`);
  }
  const pv = await lookups.persistentVolume(volumeName);
  if (!pv) throw new MountFailure(volume, `error processing PVC ${ns}/${claimName}: failed to fetch PV ${volumeName} from API server: persistentvolumes "${volumeName}" not found`);
  const hostPath = (pv.spec as { hostPath?: { path?: string } } | undefined)?.hostPath?.path;
  if (!hostPath || !path.isAbsolute(hostPath)) {
    throw new MountFailure(volume, `PersistentVolume ${volumeName} has no spec.hostPath.path: the process provider mounts only hostPath volumes`);
  }
  try {
    fs.mkdirSync(hostPath, { recursive: true });
  } catch (err) {
    throw new MountFailure(volume, `cannot create ${hostPath}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  return hostPath;
}
