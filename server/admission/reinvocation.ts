/**
 * One mutating plugin's part in reinvocation (kube's webhookReinvokeContext and
 * policyReinvokeContext, which behave alike): the IfNeeded webhooks or policies it ran, which of
 * them must run again because the object changed after they saw it, and what it left the object
 * as, so that on the second run a change made by another plugin since then counts too.
 */
import type { AdmissionAttributes } from '../registry/admission';
import { ReinvocationContext } from '../registry/admission';
import { jsonEqual } from '../../schemas/meta/json';

/** PluginReinvocation is one plugin's record for one write, kept across both runs of the chain. */
export class PluginReinvocation {
  private last?: { object: unknown };
  private readonly invoked = new Set<string>();
  private readonly pending = new Set<string>();

  private constructor(private readonly context: ReinvocationContext) {}

  /** of is the plugin's record of this write (a plugin called outside a chain gets a context of its own). */
  static of(attrs: AdmissionAttributes, plugin: string): PluginReinvocation {
    const context = (attrs.reinvocation ??= new ReinvocationContext());
    return context.value(plugin, () => new PluginReinvocation(context));
  }

  /** begin starts a run: on the second, a change since this plugin last ran asks its IfNeeded ones to run again. */
  begin(object: unknown): void {
    if (this.context.isReinvoke && this.last && !jsonEqual(this.last.object, object)) this.requireReinvoking();
  }

  /** end records the object as this plugin's run left it. */
  end(object: unknown): void {
    this.last = { object: structuredClone(object) };
  }

  /** skips says whether to leave key out: on the second run only those asked to run again run (none for the first time). */
  skips(key: string): boolean {
    return this.context.isReinvoke && !this.pending.has(key);
  }

  /** ran records one call: a change asks the IfNeeded ones before it to run again, and the chain to run once more. */
  ran(key: string, changed: boolean, ifNeeded: boolean): void {
    if (changed) {
      this.requireReinvoking();
      this.context.shouldReinvoke = true;
    }
    if (ifNeeded) this.invoked.add(key);
  }

  private requireReinvoking(): void {
    for (const key of this.invoked) this.pending.add(key);
    this.invoked.clear();
  }
}
