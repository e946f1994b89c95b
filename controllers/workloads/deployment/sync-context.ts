/**
 * SyncContext is one reconcile of one Deployment: the Client and recorder it writes through,
 * the clock, and the working copy of the Deployment, replaced by the server's answer after
 * every status write so the next write carries a current resourceVersion.
 */
import type { Client } from '../../runtime/client';
import type { EventRecorder } from '../../runtime/events';
import type { Deployment } from './types';

/** SyncContext is the state of one Deployment reconcile. */
export interface SyncContext {
  client: Client;
  recorder: EventRecorder;
  now(): number;
  /** d is the Deployment as last written or read (a private copy, safe to change) */
  d: Deployment;
  /** requeueAfter asks for another look after this many ms (the progress deadline) */
  requeueAfter?: number;
}
