/**
 * ControllerManager starts a set of controllers on one Client and one SharedInformerFactory, as
 * kube-controller-manager does: every controller first registers the informers and handlers it
 * needs (setup), then the informers start and sync, then each controller's workers run. Each
 * controller writes with its own field manager and reports events as its own component.
 *
 * Leader election is the seam `elector`: when given, the manager acquires it before starting
 * anything and stops every controller if it is lost. A single process needs none.
 */
import type { Client } from './client';
import { EventRecorder } from './events';
import { SharedInformerFactory } from './informer';
import { realClock, type Clock } from './work-queue';

/** ControllerContext is what a controller is given at setup. */
export interface ControllerContext {
  /** client writes as the controller (its name is the field manager) */
  client: Client;
  informers: SharedInformerFactory;
  recorder: EventRecorder;
  clock: Clock;
  log: (record: Record<string, unknown>) => void;
}

/** Controller is one level-triggered controller the manager runs. */
export interface Controller {
  /** name is the controller's field manager and event component, e.g. namespace-controller */
  readonly name: string;
  /** setup registers informers and handlers; nothing may run before run(). */
  setup(ctx: ControllerContext): void | Promise<void>;
  /** run starts the workers once every informer has synced; it may resolve after a first pass. */
  run(): void | Promise<void>;
  stop(): void;
}

/** LeaderElector is the seam for running several managers with one active (a Lease, later). */
export interface LeaderElector {
  /** acquire resolves once this process leads; onLost is called if it stops leading. */
  acquire(onLost: () => void): Promise<void>;
  release(): void;
}

/** ControllerManagerOptions configure a manager. */
export interface ControllerManagerOptions {
  clock?: Clock;
  log?: (record: Record<string, unknown>) => void;
  /** instance is the reportingInstance of events, e.g. the host name */
  instance?: string;
  elector?: LeaderElector;
  /** onLeadershipLost runs after the controllers stopped because the elector lost the lease */
  onLeadershipLost?: () => void;
}

/** ControllerManager runs controllers on shared informers. */
export class ControllerManager {
  readonly informers: SharedInformerFactory;
  private readonly controllers: Controller[] = [];
  private readonly clock: Clock;
  private readonly log: (record: Record<string, unknown>) => void;
  private started = false;

  constructor(
    private readonly client: Client,
    private readonly options: ControllerManagerOptions = {},
  ) {
    this.clock = options.clock ?? realClock;
    this.log = options.log ?? (() => undefined);
    this.informers = new SharedInformerFactory(client.withFieldManager('nodeless-informers'), { clock: this.clock, log: this.log });
  }

  /** add registers a controller; add every controller before start. */
  add(...controllers: Controller[]): this {
    this.controllers.push(...controllers);
    return this;
  }

  /** start sets up every controller, syncs the informers and runs the controllers; it resolves once all run. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await this.options.elector?.acquire(() => {
      this.log({ level: 'error', msg: 'leader election lost: stopping controllers' });
      this.stop();
      this.options.onLeadershipLost?.();
    });
    for (const c of this.controllers) {
      const client = this.client.withFieldManager(c.name);
      const recorder = new EventRecorder(client, { component: c.name, instance: this.options.instance, clock: this.clock, log: this.log });
      await c.setup({ client, informers: this.informers, recorder, clock: this.clock, log: this.log });
    }
    this.informers.start();
    await this.informers.waitForSync();
    await Promise.all(this.controllers.map((c) => c.run()));
    this.log({ level: 'info', msg: 'controllers running', controllers: this.controllers.map((c) => c.name) });
  }

  /** stop stops every controller and informer. */
  stop(): void {
    for (const c of this.controllers) c.stop();
    this.informers.stop();
    this.options.elector?.release();
  }
}
