/**
 * The shapes of apps/v1 Deployment and ReplicaSet the Deployment controller reads and writes,
 * and the small readers every part of it shares (replica counts with the server's defaults).
 */
import type { KubeObject } from '../../../schemas/types';
import type { LabelSelectorObject } from '../../../schemas/meta/selectors';

/** PodTemplate is a PodTemplateSpec. */
export interface PodTemplate {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string>; [field: string]: unknown };
  spec?: Record<string, unknown>;
}

/** DeploymentSpec is apps/v1 DeploymentSpec as stored (defaults applied). */
export interface DeploymentSpec {
  replicas?: number;
  selector?: LabelSelectorObject;
  template?: PodTemplate;
  strategy?: { type?: 'RollingUpdate' | 'Recreate' | string; rollingUpdate?: { maxSurge?: number | string; maxUnavailable?: number | string } };
  minReadySeconds?: number;
  revisionHistoryLimit?: number;
  paused?: boolean;
  progressDeadlineSeconds?: number;
}

/** DeploymentCondition is one entry of status.conditions (Available, Progressing, ReplicaFailure). */
export interface DeploymentCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  lastUpdateTime?: string;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

/** DeploymentStatus is apps/v1 DeploymentStatus. */
export interface DeploymentStatus {
  observedGeneration?: number;
  replicas?: number;
  updatedReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  unavailableReplicas?: number;
  terminatingReplicas?: number;
  conditions?: DeploymentCondition[];
  collisionCount?: number;
}

/** Deployment is an apps/v1 Deployment. */
export interface Deployment extends KubeObject {
  spec?: DeploymentSpec;
  status?: DeploymentStatus;
}

/** ReplicaSetSpec is apps/v1 ReplicaSetSpec. */
export interface ReplicaSetSpec {
  replicas?: number;
  minReadySeconds?: number;
  selector?: LabelSelectorObject;
  template?: PodTemplate;
}

/** ReplicaSet is an apps/v1 ReplicaSet, as read from the cache (read-only). */
export interface ReplicaSet extends KubeObject {
  spec?: ReplicaSetSpec;
  status?: { replicas?: number; readyReplicas?: number; availableReplicas?: number; observedGeneration?: number; conditions?: Array<Record<string, unknown>> };
}

/** desiredReplicas is a Deployment's spec.replicas (the server defaults it to 1). */
export function desiredReplicas(d: Readonly<Deployment>): number {
  return d.spec?.replicas ?? 1;
}

/** specReplicas is a ReplicaSet's spec.replicas (the server defaults it to 1). */
export function specReplicas(rs: Readonly<ReplicaSet>): number {
  return rs.spec?.replicas ?? 1;
}

/** isRollingUpdate is true unless the strategy is Recreate. */
export function isRollingUpdate(d: Readonly<Deployment>): boolean {
  return (d.spec?.strategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
}

/** rfc3339 renders a time the way metav1.Time marshals: whole seconds, UTC. */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
