/**
 * Pod, PodSpec and pod template validation with kube-apiserver's messages (ValidatePodSpec,
 * ValidatePodCreate, ValidatePodTemplateSpec in pkg/apis/core/validation). Workload kinds
 * (ReplicationController, Deployment, Job, ...) validate their template through
 * validatePodTemplateSpec. Errors come in the order kube reports them, since clients print
 * the first cause. The parts live beside this file: containers (pod-containers.ts, with
 * pod-env.ts and pod-resources.ts), volumes (pod-volumes.ts), security contexts
 * (pod-security-context.ts), scheduling (pod-scheduling.ts), annotations (pod-annotations.ts)
 * and the update rules (pod-update.ts).
 */
import type { FieldError, KubeObject } from '../types';
import { jsonEqual } from '../meta/json';
import {
  type Obj, MAX_INT32, dnsLabel, dnsSubdomain, duplicate, forbiddenField, invalidValue, isObj, isSet, labelErrors, listAt, notSupported, num, objAt,
  qualifiedName, required, str,
} from './field-errors';
import { podAnnotationErrors, securityAnnotationMatchErrors } from './pod-annotations';
import { validateContainers, validateEphemeralContainers, validateInitContainers } from './pod-containers';
import { affinityErrors, osErrors, tolerationErrors, topologySpreadErrors } from './pod-scheduling';
import { podSecurityContextErrors } from './pod-security-context';
import { validatePodUpdate } from './pod-update';
import { validateVolumes } from './pod-volumes';

/** PodSpecOptions says where a spec sits: in a Pod (isPod) or in a template. */
export interface PodSpecOptions {
  /** isPod is set for a Pod's own spec; templates are looser (a hostPort may stay 0). */
  isPod?: boolean;
}

/** validatePodSpec is ValidatePodSpec: a spec at path (spec, spec.template.spec, ...). */
export function validatePodSpec(spec: unknown, path: string, opts: PodSpecOptions = {}): FieldError[] {
  const s: Obj = isObj(spec) ? spec : {};
  const errs: FieldError[] = [];
  if (!isSet(s, 'terminationGracePeriodSeconds')) errs.push(required(`${path}.terminationGracePeriodSeconds`));
  const gracePeriod = typeof s.terminationGracePeriodSeconds === 'number' ? s.terminationGracePeriodSeconds : undefined;
  const { names: volumes, errs: volumeErrs } = validateVolumes(listAt(s, 'volumes'), `${path}.volumes`);
  errs.push(...volumeErrs);
  const containers = listAt(s, 'containers');
  const inits = listAt(s, 'initContainers');
  errs.push(...validateContainers(containers, volumes, gracePeriod, `${path}.containers`));
  errs.push(...validateInitContainers(inits, containers, volumes, gracePeriod, `${path}.initContainers`));
  errs.push(...validateEphemeralContainers(listAt(s, 'ephemeralContainers'), containers, inits, volumes, `${path}.ephemeralContainers`));
  if (s.hostNetwork === true) {
    containers.forEach((c, i) => listAt(c, 'ports').forEach((p, j) => {
      const hp = num(p, 'hostPort');
      if ((opts.isPod || hp !== 0) && hp !== num(p, 'containerPort')) {
        errs.push(invalidValue(`${path}.containers[${i}].ports[${j}].hostPort`, hp, 'must match `containerPort` when `hostNetwork` is true'));
      }
    }));
  }
  const restartPolicy = str(s, 'restartPolicy');
  if (!restartPolicy) errs.push(required(`${path}.restartPolicy`));
  else if (!['Always', 'OnFailure', 'Never'].includes(restartPolicy)) errs.push(notSupported(`${path}.restartPolicy`, restartPolicy, ['Always', 'OnFailure', 'Never']));
  const dnsPolicy = str(s, 'dnsPolicy');
  const dnsPolicies = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];
  if (!dnsPolicy) errs.push(required(`${path}.dnsPolicy`));
  else if (!dnsPolicies.includes(dnsPolicy)) errs.push(notSupported(`${path}.dnsPolicy`, dnsPolicy, dnsPolicies));
  errs.push(...labelErrors(s.nodeSelector, `${path}.nodeSelector`));
  const sc = objAt(s, 'securityContext');
  if (sc) errs.push(...podSecurityContextErrors(sc, `${path}.securityContext`));
  const affinity = objAt(s, 'affinity');
  if (affinity) errs.push(...affinityErrors(affinity, `${path}.affinity`));
  errs.push(...dnsConfigErrors(objAt(s, 'dnsConfig'), dnsPolicy, `${path}.dnsConfig`));
  listAt(s, 'readinessGates').forEach((g, i) => errs.push(...qualifiedName(str(g, 'conditionType'), `${path}.readinessGates[${i}].conditionType`)));
  const gates = new Set<string>();
  listAt(s, 'schedulingGates').forEach((g, i) => {
    const n = str(g, 'name');
    errs.push(...qualifiedName(n, `${path}.schedulingGates[${i}]`));
    if (gates.has(n)) errs.push(duplicate(`${path}.schedulingGates[${i}]`, n));
    gates.add(n);
  });
  errs.push(...topologySpreadErrors(listAt(s, 'topologySpreadConstraints'), `${path}.topologySpreadConstraints`));
  for (const k of ['serviceAccountName', 'nodeName']) {
    const v = str(s, k);
    if (v) errs.push(...dnsSubdomain(v, `${path}.${k}`));
  }
  if (isSet(s, 'activeDeadlineSeconds')) {
    const v = num(s, 'activeDeadlineSeconds');
    if (v < 1 || v > MAX_INT32) errs.push(invalidValue(`${path}.activeDeadlineSeconds`, v, `must be between 1 and ${MAX_INT32}, inclusive`));
  }
  for (const k of ['hostname', 'subdomain']) {
    const v = str(s, k);
    if (v) errs.push(...dnsLabel(v, `${path}.${k}`));
  }
  errs.push(...tolerationErrors(listAt(s, 'tolerations'), `${path}.tolerations`));
  listAt(s, 'hostAliases').forEach((a, i) => listAt(a, 'hostnames').forEach((h, j) => errs.push(...dnsSubdomain(String(h), `${path}.hostAliases[${i}].hostnames[${j}]`))));
  if (str(s, 'priorityClassName')) errs.push(...dnsSubdomain(str(s, 'priorityClassName'), `${path}.priorityClassName`));
  if (isSet(s, 'runtimeClassName')) errs.push(...dnsSubdomain(str(s, 'runtimeClassName'), `${path}.runtimeClassName`));
  if (isSet(s, 'preemptionPolicy')) {
    const p = str(s, 'preemptionPolicy');
    if (!p) errs.push(required(`${path}.preemptionPolicy`));
    else if (p !== 'PreemptLowerPriority' && p !== 'Never') errs.push(notSupported(`${path}.preemptionPolicy`, p, ['PreemptLowerPriority', 'Never']));
  }
  if (isSet(s, 'os')) {
    const os = str(objAt(s, 'os'), 'name');
    if (!os) errs.push(required(`${path}.os.name`));
    else if (os !== 'linux' && os !== 'windows') errs.push(notSupported(`${path}.os.name`, os, ['linux', 'windows']));
    errs.push(...osErrors(s, path));
  }
  return errs;
}

function dnsConfigErrors(cfg: Obj | undefined, dnsPolicy: string, field: string): FieldError[] {
  if (dnsPolicy === 'None') {
    if (!cfg) return [required(field, 'must provide `dnsConfig` when `dnsPolicy` is None')];
    if (listAt(cfg, 'nameservers').length === 0) return [required(`${field}.nameservers`, 'must provide at least one DNS nameserver when `dnsPolicy` is None')];
  }
  if (!cfg) return [];
  const errs: FieldError[] = [];
  const ns = listAt(cfg, 'nameservers');
  if (ns.length > 3) errs.push({ type: 'FieldValueInvalid', field: `${field}.nameservers`, message: `Invalid value: []string{${ns.map((n) => JSON.stringify(n)).join(', ')}}: must not have more than 3 nameservers` });
  listAt(cfg, 'options').forEach((o, i) => {
    if (!str(o, 'name')) errs.push(required(`${field}.options[${i}]`, 'must not be empty'));
  });
  return errs;
}

/** validatePodTemplateSpec is ValidatePodTemplateSpec: labels, annotations and the spec of a template at path. */
export function validatePodTemplateSpec(template: unknown, path: string): FieldError[] {
  const meta = objAt(template, 'metadata');
  // kube names template labels without "metadata" (the ObjectMeta is embedded in Go).
  const errs = labelErrors(meta?.labels, `${path}.labels`);
  const spec = objAt(template, 'spec');
  errs.push(...podAnnotationErrors(meta, spec, `${path}.annotations`), ...validatePodSpec(spec, `${path}.spec`), ...securityAnnotationMatchErrors(meta, spec, `${path}.spec`));
  if (listAt(spec, 'ephemeralContainers').length > 0) errs.push(forbiddenField(`${path}.spec.ephemeralContainers`, 'ephemeral containers not allowed in pod template'));
  return errs;
}

function podOnlyImageErrors(spec: unknown): FieldError[] {
  const errs: FieldError[] = [];
  for (const list of ['containers', 'initContainers']) {
    listAt(spec, list).forEach((c, i) => {
      const image = str(c, 'image');
      if (image.trim() !== image) errs.push(invalidValue(`spec.${list}[${i}].image`, image, 'must not have leading or trailing whitespace'));
    });
  }
  return errs;
}

/**
 * validatePod checks a Pod on create (old undefined) or update. An update that leaves the spec
 * as stored validates only the update rules, so that a pod stored before a rule existed can
 * still have its status and metadata written.
 */
export function validatePod(pod: KubeObject, old?: KubeObject): FieldError[] {
  const spec = objAt(pod, 'spec');
  if (old && jsonEqual(spec, objAt(old, 'spec'))) return [];
  const errs = [...validatePodSpec(spec, 'spec', { isPod: true }), ...podOnlyImageErrors(spec)];
  if (!old) {
    const meta = objAt(pod, 'metadata');
    errs.push(...podAnnotationErrors(meta, spec, 'metadata.annotations'), ...securityAnnotationMatchErrors(meta, spec, 'spec'));
    if (listAt(spec, 'ephemeralContainers').length > 0) errs.push(forbiddenField('spec.ephemeralContainers', 'cannot be set on create'));
    if (str(spec, 'nodeName') && listAt(spec, 'schedulingGates').length > 0) errs.push(forbiddenField('spec.nodeName', 'cannot be set until all schedulingGates have been cleared'));
    return errs;
  }
  return [...errs, ...validatePodUpdate(pod, old)];
}

/** validatePodTemplate checks a PodTemplate object (its template at "template"). */
export function validatePodTemplate(pt: KubeObject, old?: KubeObject): FieldError[] {
  if (old && jsonEqual(pt.template, old.template)) return [];
  return validatePodTemplateSpec(pt.template, 'template');
}
