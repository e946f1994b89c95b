/** The simulated provider's one priority queue of scheduled changes, ordered by time then sequence. */
import type { SimContainer, SimInstance } from './simulated-instance';

/** EventKind is what a queued event does to its instance. */
export type EventKind = 'sandbox' | 'exit' | 'ready' | 'restart' | 'lost' | 'stopped' | 'notify';

/** SimEvent is one entry of the priority queue. */
export interface SimEvent {
  at: number;
  seq: number;
  kind: EventKind;
  inst: SimInstance;
  epoch: number;
  c?: SimContainer;
  attempt?: number;
}

/** EventHeap is a binary min-heap on (at, seq): the provider's one priority queue. */
export class EventHeap {
  private items: SimEvent[] = [];
  get size(): number {
    return this.items.length;
  }
  peek(): SimEvent | undefined {
    return this.items[0];
  }
  private less(i: number, j: number): boolean {
    const a = this.items[i];
    const b = this.items[j];
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }
  push(e: SimEvent): void {
    const h = this.items;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(i, p)) break;
      [h[i], h[p]] = [h[p], h[i]];
      i = p;
    }
  }
  pop(): SimEvent | undefined {
    const h = this.items;
    const top = h[0];
    const last = h.pop();
    if (h.length && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(l, m)) m = l;
        if (r < h.length && this.less(r, m)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }
  clear(): void {
    this.items = [];
  }
}
