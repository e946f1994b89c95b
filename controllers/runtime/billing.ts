/**
 * The seam between the API server's /metrics and the instance scheduler's bill: the scheduler
 * registers a BillingSource when it runs in the same process, and /metrics reads it at scrape
 * time. With nothing registered (the scheduler runs elsewhere) the billing metrics are absent.
 */

/** NamespaceBill is one namespace's instance runs: how many ran, how many run now, and the USD billed so far. */
export interface NamespaceBill {
  namespace: string;
  runs: number;
  running: number;
  /** cost is what the runs cost up to now, open runs included as they stand */
  cost: number;
}

/** BillingSource answers the bill by namespace at the moment it is asked. */
export interface BillingSource {
  bill(): NamespaceBill[];
}

/** BillingRegistry holds the source the in-process scheduler registers. */
export class BillingRegistry {
  private current?: BillingSource;

  /** register installs source and answers the function that removes it again. */
  register(source: BillingSource): () => void {
    this.current = source;
    return () => {
      if (this.current === source) this.current = undefined;
    };
  }

  /** bill is the registered source's bill, or undefined when no scheduler runs here. */
  bill(): NamespaceBill[] | undefined {
    return this.current?.bill();
  }
}
