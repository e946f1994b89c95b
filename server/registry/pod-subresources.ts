/**
 * The pods/binding and pods/eviction subresources, as kube's BindingREST and EvictionREST do
 * them (pkg/registry/core/pod/storage). A binding assigns a pod to a node by writing the stored
 * pod directly, past the pod strategies, as kube's binding writes storage. An eviction deletes a
 * pod unless a PodDisruptionBudget that selects it allows no disruption, and records the
 * disruption in the budget's status for the disruption controller.
 */
import { rfc3339 } from '../../schemas/meta/time';
import { labelSelectorFromObject, matches, type LabelSelectorObject } from '../../schemas/meta/selectors';
import { StatusError, badRequest, conflict, forbidden, fromStoreError, invalid, notFound } from '../../schemas/meta/status-error';
import type { FieldError, KubeObject, ResourceDefinition } from '../../schemas/types';
import type { KeyValue } from '../../store';
import type { DeleteOptions, Registry } from './generic-registry';
import type { ResourceTable } from './resource-table';

type Obj = Record<string, unknown>;

/** PodCondition is one entry of status.conditions, in core/v1's field order. */
interface PodCondition {
  type: string;
  status: string;
  lastProbeTime?: string | null;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

/**
 * setPodCondition is podutil.UpdatePodCondition: the condition of that type is replaced (added
 * when missing), keeping its lastTransitionTime when the status does not change. It reports
 * whether anything changed.
 */
export function setPodCondition(pod: KubeObject, condition: Omit<PodCondition, 'lastProbeTime' | 'lastTransitionTime'>, now: Date): boolean {
  const status = (pod.status ??= {}) as { conditions?: PodCondition[] };
  const conditions = (status.conditions ??= []);
  const next: PodCondition = { type: condition.type, status: condition.status, lastProbeTime: null, lastTransitionTime: rfc3339(now) };
  if (condition.reason) next.reason = condition.reason;
  if (condition.message) next.message = condition.message;
  const i = conditions.findIndex((c) => c.type === condition.type);
  if (i < 0) {
    conditions.push(next);
    return true;
  }
  const old = conditions[i];
  if (old.status === next.status) next.lastTransitionTime = old.lastTransitionTime;
  const same =
    old.status === next.status &&
    (old.reason ?? '') === (next.reason ?? '') &&
    (old.message ?? '') === (next.message ?? '') &&
    (old.lastProbeTime ?? null) === null &&
    old.lastTransitionTime === next.lastTransitionTime;
  conditions[i] = next;
  return !same;
}

const PODS = { group: '', resource: 'pods' };
const BINDING = { group: '', resource: 'pods/binding' };
// An error kube's REST code returns as a plain Go error: 500 with the text and no reason.
const plainError = (message: string) => new StatusError(500, '', message);

// storageKey is the etcd key kube names in a storage error.
function storageKey(namespace: string, name: string): string {
  return `/registry/pods/${namespace}/${name}`;
}

/**
 * bindPod assigns a pod to binding.target.name, as BindingREST.Create does: the target must be a
 * Node (or have no kind) with a name; binding.metadata.uid and resourceVersion, when set, are
 * preconditions; a pod being deleted, already assigned or with scheduling gates is a 409
 * Conflict on pods/binding. The pod gets spec.nodeName, the binding's annotations and the
 * PodScheduled condition.
 */
export async function bindPod(registry: Registry, def: ResourceDefinition, namespace: string, name: string, binding: KubeObject, dryRun: boolean): Promise<void> {
  const meta = binding.metadata ?? {};
  if ((meta.name ?? '') !== name) throw badRequest('name in URL does not match name in Binding object');
  const target = (binding.target ?? {}) as Obj;
  const errs: FieldError[] = [];
  const targetKind = typeof target.kind === 'string' ? target.kind : '';
  if (targetKind !== '' && targetKind !== 'Node') {
    errs.push({ type: 'FieldValueNotSupported', field: 'target.kind', message: `Unsupported value: ${JSON.stringify(targetKind)}: supported values: "Node", "<empty>"` });
  }
  const node = typeof target.name === 'string' ? target.name : '';
  if (node === '') errs.push({ type: 'FieldValueRequired', field: 'target.name', message: 'Required value' });
  // kube returns these as a plain error list, which its handler answers 500 with the list as the
  // message; bad input here gets a 422 Invalid on the Binding instead, with the same causes.
  if (errs.length) throw invalid('Binding', '', name, errs);

  let key: string;
  try {
    key = registry.key(def, namespace, name);
  } catch {
    throw notFound(PODS, name);
  }
  for (let attempt = 0; attempt < 100; attempt++) {
    let current: KeyValue;
    try {
      current = await registry.store.get(key);
    } catch (err) {
      throw fromStoreError(err, PODS, name);
    }
    const pod = JSON.parse(current.value) as KubeObject;
    const podMeta = (pod.metadata ??= {});
    const invalidObject = (why: string) =>
      conflict(PODS, name, `StorageError: invalid object, Code: 4, Key: ${storageKey(namespace, name)}, ResourceVersion: 0, AdditionalErrorMsg: ${why}`);
    if (meta.uid && meta.uid !== podMeta.uid) throw invalidObject(`Precondition failed: UID in precondition: ${meta.uid}, UID in object meta: ${podMeta.uid ?? ''}`);
    if (meta.resourceVersion && meta.resourceVersion !== String(current.revision)) {
      throw invalidObject(`Precondition failed: ResourceVersion in precondition: ${meta.resourceVersion}, ResourceVersion in object meta: ${current.revision}`);
    }
    const spec = (pod.spec ??= {}) as Obj;
    if (podMeta.deletionTimestamp) throw conflict(BINDING, name, `pod ${name} is being deleted, cannot be assigned to a host`);
    if (spec.nodeName) throw conflict(BINDING, name, `pod ${name} is already assigned to node ${JSON.stringify(spec.nodeName)}`);
    if (Array.isArray(spec.schedulingGates) && spec.schedulingGates.length > 0) throw conflict(BINDING, name, `pod ${name} has non-empty .spec.schedulingGates`);
    spec.nodeName = node;
    podMeta.annotations = { ...(podMeta.annotations ?? {}), ...(meta.annotations ?? {}) };
    setPodCondition(pod, { type: 'PodScheduled', status: 'True' }, registry.now());
    if (dryRun) return;
    try {
      await registry.store.update(key, pod, current.revision);
      return;
    } catch (err) {
      const status = fromStoreError(err, PODS, name);
      if (status.reason !== 'Conflict') throw status;
    }
  }
  throw conflict(PODS, name);
}

/** EVICTION_RETRIES bounds the conflict retries of an eviction (kube: 20 steps of 500ms). */
const EVICTION_RETRIES = 20;

/** MAX_DISRUPTED_PODS is kube's MaxDisruptedPodSize: more unconfirmed evictions are refused. */
const MAX_DISRUPTED_PODS = 2000;

const BUDGET_MESSAGE = "Cannot evict pod as it would violate the pod's disruption budget.";

function tooManyRequests(cause: string, retryAfterSeconds: number): StatusError {
  return new StatusError(429, 'TooManyRequests', BUDGET_MESSAGE, {
    causes: [{ reason: 'DisruptionBudget', message: cause }],
    retryAfterSeconds: retryAfterSeconds || undefined,
  });
}

// stillProcessing is kube's createTooManyRequestsError: the budget's status is not current yet.
function stillProcessing(pdbName: string): StatusError {
  return tooManyRequests(`The disruption budget ${pdbName} is still being processed by the server.`, 10);
}

function phaseOf(pod: KubeObject): string {
  return String(((pod.status ?? {}) as Obj).phase ?? '');
}

function isPodReady(pod: KubeObject): boolean {
  const conditions = ((pod.status ?? {}) as { conditions?: PodCondition[] }).conditions ?? [];
  return conditions.some((c) => c.type === 'Ready' && c.status === 'True');
}

// canIgnoreBudget: a pod not running, or already being deleted, disrupts nothing more.
function canIgnoreBudget(pod: KubeObject): boolean {
  const phase = phaseOf(pod);
  return phase === 'Succeeded' || phase === 'Failed' || phase === 'Pending' || !!pod.metadata?.deletionTimestamp;
}

// shouldEnforceResourceVersion: a pod that could become ready meanwhile is deleted only as read.
function shouldEnforceResourceVersion(pod: KubeObject): boolean {
  const phase = phaseOf(pod);
  return !(phase === 'Succeeded' || phase === 'Failed' || pod.metadata?.deletionTimestamp);
}

function withResourceVersion(options: DeleteOptions, resourceVersion: string): DeleteOptions {
  return { ...options, preconditions: { ...options.preconditions, resourceVersion } };
}

/** EvictionTarget is what an eviction needs: the registry, the resource table and the pods resource. */
export interface EvictionTarget {
  registry: Registry;
  resources: ResourceTable;
  pods: ResourceDefinition;
}

/**
 * evictPod carries out a policy/v1 Eviction of a pod with the given delete options, as
 * EvictionREST.Create does: a pod that is Pending, Succeeded, Failed or already being deleted is
 * deleted at once; otherwise the one PodDisruptionBudget selecting it (more than one is a 500)
 * must allow a disruption, which is then taken from status.disruptionsAllowed and recorded in
 * status.disruptedPods, or the eviction is refused with 429 TooManyRequests. An unready pod
 * passes when the budget's healthy count is met, or its unhealthyPodEvictionPolicy is
 * AlwaysAllow. Before the delete the pod gets the DisruptionTarget condition.
 */
export async function evictPod(t: EvictionTarget, namespace: string, name: string, options: DeleteOptions): Promise<void> {
  const { registry, pods } = t;
  const rvUnset = !options.preconditions?.resourceVersion;
  let pod: KubeObject | undefined;
  for (let attempt = 0; ; attempt++) {
    pod = JSON.parse((await registry.get(pods, namespace, name)).raw) as KubeObject;
    if (!canIgnoreBudget(pod)) break;
    const deleteOptions = shouldEnforceResourceVersion(pod) && rvUnset ? withResourceVersion(options, pod.metadata!.resourceVersion!) : options;
    try {
      await addConditionAndDelete(t, namespace, name, deleteOptions);
      return;
    } catch (err) {
      if (!(err instanceof StatusError && err.reason === 'Conflict' && rvUnset && attempt < EVICTION_RETRIES)) throw err;
    }
  }

  const budgets = await budgetsSelecting(t, pod);
  if (budgets.length > 1) throw plainError('This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.');
  let deleteOptions = options;
  let budgetName = '';
  if (budgets.length === 1) {
    let budget = budgets[0];
    budgetName = budget.metadata!.name!;
    const spec = (budget.spec ?? {}) as Obj;
    const status = (budget.status ?? {}) as Obj;
    let unhealthyAllowed = false;
    if (!isPodReady(pod)) {
      const desired = Number(status.desiredHealthy ?? 0);
      unhealthyAllowed = spec.unhealthyPodEvictionPolicy === 'AlwaysAllow' || (Number(status.currentHealthy ?? 0) >= desired && desired > 0);
    }
    if (unhealthyAllowed) {
      // The pod counts for nothing in the budget; it goes only if it is still as read.
      deleteOptions = withResourceVersion(options, pod.metadata!.resourceVersion!);
    } else {
      for (let attempt = 0; ; attempt++) {
        try {
          await takeDisruption(t, budget, name, !!options.dryRun);
          break;
        } catch (err) {
          if (!(err instanceof StatusError && err.reason === 'Conflict')) throw err;
          if (attempt >= EVICTION_RETRIES) throw new StatusError(504, 'Timeout', `Timeout: couldn't update PodDisruptionBudget ${JSON.stringify(budgetName)} due to conflicts`, { retryAfterSeconds: 10 });
          budget = JSON.parse((await registry.get(budgetResource(t), namespace, budgetName)).raw) as KubeObject;
        }
      }
    }
  }
  try {
    await addConditionAndDelete(t, namespace, name, deleteOptions);
  } catch (err) {
    // The pod changed since its readiness was judged: the client should try again.
    if (err instanceof StatusError && err.reason === 'Conflict' && deleteOptions !== options && rvUnset) throw stillProcessing(budgetName);
    throw err;
  }
}

function budgetResource(t: EvictionTarget): ResourceDefinition {
  const def = t.resources.lookup('policy', 'v1', 'poddisruptionbudgets');
  if (!def) throw new StatusError(500, 'InternalError', 'policy/v1 poddisruptionbudgets are not served');
  return def;
}

// budgetsSelecting lists the budgets of the pod's namespace whose selector matches its labels;
// an invalid selector matches nothing, an empty one everything.
async function budgetsSelecting(t: EvictionTarget, pod: KubeObject): Promise<KubeObject[]> {
  const page = await t.registry.list(budgetResource(t), pod.metadata?.namespace);
  const out: KubeObject[] = [];
  for (const item of page.items) {
    const budget = JSON.parse(item.raw) as KubeObject;
    let selects = false;
    try {
      selects = matches(labelSelectorFromObject(((budget.spec ?? {}) as Obj).selector as LabelSelectorObject | undefined), pod.metadata?.labels);
    } catch {
      selects = false;
    }
    if (selects) out.push(budget);
  }
  return out;
}

// takeDisruption is kube's checkAndDecrement: it refuses when the budget's status is stale,
// negative, overfull or allows nothing, else takes one disruption and records the pod.
async function takeDisruption(t: EvictionTarget, budget: KubeObject, podName: string, dryRun: boolean): Promise<void> {
  const name = budget.metadata!.name!;
  const status = ((budget.status ??= {}) as Obj);
  const allowed = Number(status.disruptionsAllowed ?? 0);
  const gr = { group: 'policy', resource: 'poddisruptionbudget' };
  if (Number(status.observedGeneration ?? 0) < Number(budget.metadata?.generation ?? 0)) throw stillProcessing(name);
  if (allowed < 0) throw forbidden(gr, name, 'pdb disruptions allowed is negative');
  if (Object.keys((status.disruptedPods ?? {}) as Obj).length > MAX_DISRUPTED_PODS) {
    throw forbidden(gr, name, 'DisruptedPods map too big - too many evictions not confirmed by PDB controller');
  }
  if (allowed === 0) {
    throw tooManyRequests(`The disruption budget ${name} needs ${Number(status.desiredHealthy ?? 0)} healthy pods and has ${Number(status.currentHealthy ?? 0)} currently`, 0);
  }
  status.disruptionsAllowed = allowed - 1;
  const now = t.registry.now();
  if (allowed - 1 === 0) setDisruptionAllowedFalse(status, now);
  if (dryRun) return;
  status.disruptedPods = { ...((status.disruptedPods ?? {}) as Obj), [podName]: rfc3339(now) };
  // kube writes this through its loopback client, so kube-apiserver is the field manager.
  await t.registry.update(budgetResource(t), budget.metadata!.namespace, name, budget, { subresource: 'status', fieldManager: 'kube-apiserver' });
}

// setDisruptionAllowedFalse is pdbhelper.UpdateDisruptionAllowedCondition for no disruption left.
function setDisruptionAllowedFalse(status: Obj, now: Date): void {
  const conditions = (Array.isArray(status.conditions) ? status.conditions : []) as Obj[];
  const observedGeneration = status.observedGeneration;
  const i = conditions.findIndex((c) => c.type === 'DisruptionAllowed');
  const next: Obj = { type: 'DisruptionAllowed', status: 'False' };
  if (observedGeneration) next.observedGeneration = observedGeneration;
  next.lastTransitionTime = i >= 0 && conditions[i].status === 'False' ? conditions[i].lastTransitionTime : rfc3339(now);
  next.reason = 'InsufficientPods';
  next.message = i >= 0 ? (conditions[i].message ?? '') : '';
  if (i >= 0) conditions[i] = next;
  else conditions.push(next);
  status.conditions = conditions;
}

// addConditionAndDelete marks the pod with DisruptionTarget through its status, then deletes it;
// a resourceVersion precondition moves to the revision that status write made.
async function addConditionAndDelete(t: EvictionTarget, namespace: string, name: string, options: DeleteOptions): Promise<void> {
  const { registry, pods } = t;
  let deleteOptions = options;
  if (!options.dryRun) {
    const pre = options.preconditions;
    const kind = { group: '', resource: 'Pod' };
    const updated = await registry.guaranteedUpdate(
      pods,
      namespace,
      name,
      (current) => {
        const meta = current.metadata ?? {};
        if (pre?.uid && pre.uid !== meta.uid) {
          throw conflict(kind, name, `the UID in the precondition (${pre.uid}) does not match the UID in record (${meta.uid ?? ''}). The object might have been deleted and then recreated`);
        }
        if (pre?.resourceVersion && pre.resourceVersion !== meta.resourceVersion) {
          throw conflict(kind, name, `the ResourceVersion in the precondition (${pre.resourceVersion}) does not match the ResourceVersion in record (${meta.resourceVersion ?? ''}). The object might have been modified`);
        }
        setPodCondition(current, { type: 'DisruptionTarget', status: 'True', reason: 'EvictionByEvictionAPI', message: 'Eviction API: evicting' }, registry.now());
        // The stored revision is the precondition of this write, not the body's.
        delete meta.resourceVersion;
        return current;
      },
      { subresource: 'status', managedFieldsDone: true },
    );
    if (pre?.resourceVersion) deleteOptions = withResourceVersion(options, String(updated.revision));
  }
  await registry.delete(pods, namespace, name, deleteOptions);
}
