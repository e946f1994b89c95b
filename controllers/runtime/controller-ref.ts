/**
 * ControllerRef: the ownerReference with controller=true that says which controller manages an
 * object, and the adopt/release rules of kube's ControllerRefManager: an owner claims the
 * objects its selector matches that have no controller, releases the ones it controls that its
 * selector no longer matches, and never touches objects another controller owns. Adoption and
 * release are strategic merge patches of ownerReferences (merged by uid) that also name the
 * object's uid, so they cannot land on a namesake created meanwhile.
 */
import type { KubeObject } from '../../schemas/types';
import { isNotFound, type Client, type ResourceDescriptor } from './client';

/** OwnerReference is one metadata.ownerReferences entry. */
export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/** controllerRefOf answers the controlling ownerReference of obj, if any. */
export function controllerRefOf(obj: Readonly<KubeObject>): OwnerReference | undefined {
  return (obj.metadata?.ownerReferences as OwnerReference[] | undefined)?.find((r) => r.controller === true);
}

/** newControllerRef is the ownerReference an owner puts on what it controls. */
export function newControllerRef(owner: Readonly<KubeObject>): OwnerReference {
  return { apiVersion: owner.apiVersion!, kind: owner.kind!, name: owner.metadata!.name!, uid: owner.metadata!.uid!, controller: true, blockOwnerDeletion: true };
}

/** ClaimOptions say how an owner decides what it may claim. */
export interface ClaimOptions {
  /** matches is the owner's selector applied to a candidate */
  matches: (obj: Readonly<KubeObject>) => boolean;
  /** canAdopt is false while the owner is being deleted: it then adopts nothing */
  canAdopt: boolean;
}

/**
 * claimObjects answers the candidates owner controls after adopting the orphans its selector
 * matches and releasing the ones it controls that no longer match. Candidates are read-only
 * (cache objects); adopted ones are answered as the server returned them.
 */
export async function claimObjects(
  client: Client,
  res: ResourceDescriptor,
  owner: Readonly<KubeObject>,
  candidates: readonly Readonly<KubeObject>[],
  options: ClaimOptions,
): Promise<Readonly<KubeObject>[]> {
  const uid = owner.metadata!.uid!;
  const claimed: Readonly<KubeObject>[] = [];
  for (const obj of candidates) {
    const ref = controllerRefOf(obj);
    const meta = obj.metadata!;
    if (ref) {
      if (ref.uid !== uid) continue;
      if (options.matches(obj)) claimed.push(obj);
      else if (options.canAdopt) await patchOwnerRefs(client, res, obj, [{ $patch: 'delete', uid }]);
      continue;
    }
    // An orphan: adopted if it matches, unless it or its owner is going away.
    if (!options.canAdopt || meta.deletionTimestamp || !options.matches(obj)) continue;
    const adopted = await patchOwnerRefs(client, res, obj, [newControllerRef(owner)]);
    if (adopted && controllerRefOf(adopted)?.uid === uid) claimed.push(adopted);
  }
  return claimed;
}

// patchOwnerRefs merges ownerReferences changes into obj, answering undefined if it is gone.
async function patchOwnerRefs(client: Client, res: ResourceDescriptor, obj: Readonly<KubeObject>, refs: unknown[]): Promise<KubeObject | undefined> {
  try {
    return await client.patch(res, obj.metadata?.namespace, obj.metadata!.name!, 'strategic', { metadata: { ownerReferences: refs, uid: obj.metadata!.uid } });
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}
