/**
 * The pod-failure backoff of the Job controller, as kube's backoff_utils.go: a Job whose pods
 * keep failing waits 10 s, 20 s, 40 s ... (capped) before it creates the next pod, counting the
 * failures since the last success. kube times the delay from the finish time the kubelet wrote
 * into the pod's status; here it is timed from when this controller first saw the failure (a
 * sync later at most), on the controller's own clock, so that a controller on an injected clock
 * is not mixed up with the wall-clock times a kubelet writes. Finish times still decide the
 * order of successes and failures.
 */
import type { KubeObject } from '../../schemas/types';
import { podFinishedAt } from './job-policies';

/** POD_FAILURE_BACKOFF_MS is the first delay after a failed pod (kube's DefaultJobPodFailureBackOff). */
export const POD_FAILURE_BACKOFF_MS = 10_000;
/** MAX_POD_FAILURE_BACKOFF_MS caps the delay (kube's MaxJobPodFailureBackOff, 10 minutes since 1.28). */
export const MAX_POD_FAILURE_BACKOFF_MS = 10 * 60_000;

/** BackoffRecord is a Job's failures since its last success and when the last one was. */
export interface BackoffRecord {
  key: string;
  failuresAfterLastSuccess: number;
  lastFailureTime?: number;
}

/** remainingBackoff is how long to wait after `failures` failures, the last at lastFailure. */
export function remainingBackoff(now: number, baseMs: number, maxMs: number, failures: number, lastFailure: number | undefined): number {
  if (failures <= 0 || lastFailure === undefined) return 0;
  let delay = baseMs;
  for (let i = 1; i < failures; i++) {
    delay *= 2;
    if (delay >= maxMs) {
      delay = maxMs;
      break;
    }
  }
  const elapsed = now - lastFailure;
  return delay < elapsed ? 0 : delay - elapsed;
}

/** BackoffStore keeps the BackoffRecord of every Job in memory, as kube's backoffStore. */
export class BackoffStore {
  private readonly records = new Map<string, BackoffRecord>();

  /** newRecord answers the record the newly finished pods would make, without storing it. */
  newRecord(key: string, now: number, newSucceeded: readonly Readonly<KubeObject>[], newFailed: readonly Readonly<KubeObject>[]): BackoffRecord {
    const old = this.records.get(key);
    const record: BackoffRecord = { key, failuresAfterLastSuccess: old?.failuresAfterLastSuccess ?? 0, lastFailureTime: old?.lastFailureTime };
    const failedTimes = newFailed.map(podFinishedAt).sort((a, b) => a - b);
    if (newSucceeded.length === 0) {
      if (failedTimes.length === 0) return record;
      record.failuresAfterLastSuccess += failedTimes.length;
      record.lastFailureTime = now;
      return record;
    }
    record.failuresAfterLastSuccess = 0;
    record.lastFailureTime = undefined;
    const lastSuccess = Math.max(...newSucceeded.map(podFinishedAt));
    for (let i = failedTimes.length - 1; i >= 0 && failedTimes[i] > lastSuccess; i--) {
      record.lastFailureTime = now;
      record.failuresAfterLastSuccess++;
    }
    return record;
  }

  /** update stores a record made by newRecord. */
  update(record: BackoffRecord): void {
    this.records.set(record.key, record);
  }

  /** remove forgets a Job (finished or deleted). */
  remove(key: string): void {
    this.records.delete(key);
  }
}
