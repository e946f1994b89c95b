/**
 * Completion indexes of Indexed Jobs, as kube's pkg/controller/job/indexed_job_utils.go keeps
 * them: sets of indexes as ordered, merged intervals, written in status as "1,3-5,7" (two
 * neighbours are written "1,2"); a pod's index from its batch.kubernetes.io/job-completion-index
 * annotation; the per-index failure counts of backoffLimitPerIndex.
 */
import type { KubeObject } from '../../schemas/types';

/** COMPLETION_INDEX_ANNOTATION holds a pod's completion index (also used as a label). */
export const COMPLETION_INDEX_ANNOTATION = 'batch.kubernetes.io/job-completion-index';
/** INDEX_FAILURE_COUNT_ANNOTATION counts the earlier failed pods of the same index. */
export const INDEX_FAILURE_COUNT_ANNOTATION = 'batch.kubernetes.io/job-index-failure-count';
/** INDEX_IGNORED_FAILURE_COUNT_ANNOTATION counts the failures of the index a podFailurePolicy ignored. */
export const INDEX_IGNORED_FAILURE_COUNT_ANNOTATION = 'batch.kubernetes.io/job-index-ignored-failure-count';
/** COMPLETION_INDEX_ENV is the environment variable that carries the index into containers. */
export const COMPLETION_INDEX_ENV = 'JOB_COMPLETION_INDEX';

const INT32_MAX = 2147483647;

/** Interval is an inclusive range of indexes. */
export interface Interval {
  first: number;
  last: number;
}

/** Intervals is an ordered list of disjoint, non-adjacent intervals (immutable: methods answer new ones). */
export class Intervals {
  constructor(readonly items: readonly Interval[] = []) {}

  /** parse reads "1,3-5" as kube does: bad pieces are skipped, indexes >= completions dropped. */
  static parse(text: string | undefined | null, completions: number): Intervals {
    if (typeof text !== 'string' || text === '') return new Intervals();
    const result: Interval[] = [];
    for (const piece of text.split(',')) {
      const [a, b] = piece.split('-');
      const first = Number(a);
      if (!/^\d+$/.test(a ?? '') || !Number.isSafeInteger(first)) continue;
      if (first >= completions) break;
      let last = first;
      if (b !== undefined) {
        if (!/^\d+$/.test(b) || !Number.isSafeInteger(Number(b))) continue;
        last = Math.min(Number(b), completions - 1);
      }
      const prev = result[result.length - 1];
      if (prev && prev.last === first - 1) prev.last = last;
      else result.push({ first, last });
    }
    return new Intervals(result);
  }

  /** withIndexes answers these intervals with the given ascending indexes added. */
  withIndexes(indexes: readonly number[]): Intervals {
    return this.merge(new Intervals(indexes.map((i) => ({ first: i, last: i }))));
  }

  /** merge answers the union of two interval lists. */
  merge(other: Intervals): Intervals {
    const all = [...this.items, ...other.items].sort((x, y) => x.first - y.first);
    const result: Interval[] = [];
    for (const iv of all) {
      const prev = result[result.length - 1];
      if (!prev || iv.first > prev.last + 1) result.push({ ...iv });
      else if (prev.last < iv.last) prev.last = iv.last;
    }
    return new Intervals(result);
  }

  /** total is how many indexes the intervals hold. */
  total(): number {
    return this.items.reduce((n, iv) => n + iv.last - iv.first + 1, 0);
  }

  /** has says whether index ix is in one of the intervals. */
  has(ix: number): boolean {
    return this.items.some((iv) => iv.first <= ix && ix <= iv.last);
  }

  /** toString renders kube's format: "0-2,4,6,7". */
  toString(): string {
    return this.items.map((iv) => (iv.last === iv.first ? `${iv.first}` : `${iv.first}${iv.last === iv.first + 1 ? ',' : '-'}${iv.last}`)).join(',');
  }
}

/** completionIndex is a pod's completion index, or -1 when it has none (or a bad one). */
export function completionIndex(pod: Readonly<KubeObject>): number {
  const v = pod.metadata?.annotations?.[COMPLETION_INDEX_ANNOTATION];
  if (typeof v !== 'string' || !/^\+?\d+$/.test(v)) return -1;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : -1;
}

// annotationCount reads a failure-count annotation; anything not a number in int32 range is 0.
function annotationCount(pod: Readonly<KubeObject>, key: string): number {
  const v = pod.metadata?.annotations?.[key];
  if (typeof v !== 'string' || !/^-?\d+$/.test(v)) return 0;
  const n = Number(v);
  return n < 0 || n > INT32_MAX ? 0 : n;
}

/** indexFailureCount is the counted failures of the pod's index before it. */
export function indexFailureCount(pod: Readonly<KubeObject>): number {
  return annotationCount(pod, INDEX_FAILURE_COUNT_ANNOTATION);
}

/** indexAbsoluteFailureCount adds the ignored failures to the counted ones. */
export function indexAbsoluteFailureCount(pod: Readonly<KubeObject>): number {
  return annotationCount(pod, INDEX_FAILURE_COUNT_ANNOTATION) + annotationCount(pod, INDEX_IGNORED_FAILURE_COUNT_ANNOTATION);
}

/** indexIgnoredFailureCount is the ignored failures of the pod's index before it. */
export function indexIgnoredFailureCount(pod: Readonly<KubeObject>): number {
  return annotationCount(pod, INDEX_IGNORED_FAILURE_COUNT_ANNOTATION);
}

/** indexesOf is the set of valid completion indexes of pods. */
export function indexesOf(pods: readonly Readonly<KubeObject>[]): number[] {
  const set = new Set<number>();
  for (const p of pods) {
    const ix = completionIndex(p);
    if (ix >= 0) set.add(ix);
  }
  return [...set].sort((a, b) => a - b);
}

/** firstPendingIndexes answers up to count indexes below completions that are not in nonPending. */
export function firstPendingIndexes(nonPending: Intervals, count: number, completions: number): number[] {
  const result: number[] = [];
  let candidate = 0;
  for (const iv of nonPending.items) {
    for (; candidate < completions && result.length < count && candidate < iv.first; candidate++) result.push(candidate);
    if (candidate < iv.last + 1) candidate = iv.last + 1;
  }
  for (; candidate < completions && result.length < count; candidate++) result.push(candidate);
  return result;
}

/** podGenerateNameWithIndex is `<job>-<index>-`, the job part cut so the prefix fits 58 characters. */
export function podGenerateNameWithIndex(jobName: string, index: number): string {
  const suffix = `-${index}-`;
  const prefix = jobName + suffix;
  return prefix.length > 58 ? jobName.slice(0, 58 - suffix.length) + suffix : prefix;
}
