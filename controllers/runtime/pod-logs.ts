/**
 * The seam between the API server's pods/{name}/log endpoint and whatever runs pods: the instance
 * scheduler registers a PodLogSource when it runs in the same process, and the endpoint asks it.
 * This is the only thing server/ knows of the scheduler; with nothing registered (the scheduler
 * runs in another process) the endpoint answers as kube-apiserver does when it cannot reach a
 * kubelet.
 */

/** PodRef names the pod whose log is asked for; uid tells a pod from an older one of the same name. */
export interface PodRef {
  namespace: string;
  name: string;
  uid: string;
}

/** PodLogQuery selects a container's log: the current run or the previous one, and whether to follow. */
export interface PodLogQuery {
  container: string;
  previous?: boolean;
  follow?: boolean;
}

/** PodLogLine is one line a container wrote, with its time (RFC 3339 with nanoseconds). */
export interface PodLogLine {
  time: string;
  text: string;
}

/**
 * PodLogError is a log request the runtime refuses, with the HTTP code and message kube answers
 * (400 for a container waiting to start or without a previous run, 404 for an unknown pod).
 */
export class PodLogError extends Error {
  constructor(
    readonly code: 400 | 404,
    message: string,
  ) {
    super(message);
    this.name = 'PodLogError';
  }
}

/** PodLogSource serves container logs; answering undefined means the pod has no instance (yet): an empty log. */
export interface PodLogSource {
  podLogs(pod: PodRef, query: PodLogQuery): AsyncIterable<PodLogLine> | undefined;
}

/** PodLogRegistry holds the source the in-process scheduler registers. */
export class PodLogRegistry {
  private current?: PodLogSource;

  /** register installs source and answers the function that removes it again. */
  register(source: PodLogSource): () => void {
    this.current = source;
    return () => {
      if (this.current === source) this.current = undefined;
    };
  }

  /** source is the registered source, if any. */
  get source(): PodLogSource | undefined {
    return this.current;
  }
}
