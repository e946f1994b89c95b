/**
 * WATCH: a chunked stream of {"type":..., "object":...} lines. Without a resourceVersion it
 * starts with the current state as ADDED events; an expired revision ends it with an ERROR
 * event carrying 410 Expired; timeoutSeconds ends it cleanly.
 */
import { listQuery, boolParam, intParam, type RequestContext } from '../request-context';
import { toTable, partialObjectMetadata } from '../table';

const MAX_TIMER_MS = 2 ** 31 - 1;

/** handleWatch streams watch events until the client goes, the timeout passes or the store ends it. */
export async function handleWatch(ctx: RequestContext, options: { bookmarkIntervalMs?: number } = {}): Promise<void> {
  const q = ctx.query;
  const base = listQuery(ctx, true);
  const timeoutSeconds = intParam(q, 'timeoutSeconds');
  const sendInitialEvents = boolParam(q, 'sendInitialEvents');
  const allowWatchBookmarks = boolParam(q, 'allowWatchBookmarks') ?? false;
  const abort = new AbortController();
  // Opening the watch checks the query, so a bad request still answers with a Status.
  const events = await ctx.registry.watch(
    ctx.def,
    ctx.namespace,
    {
      resourceVersion: base.resourceVersion,
      resourceVersionMatch: base.resourceVersionMatch,
      sendInitialEvents,
      allowWatchBookmarks,
      labelSelector: base.labelSelector,
      fieldSelector: base.fieldSelector,
      bookmarkIntervalMs: options.bookmarkIntervalMs,
    },
    abort.signal,
  );
  const { res } = ctx;
  res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked', 'Cache-Control': 'no-cache, private' });
  res.flushHeaders();
  const stop = () => abort.abort();
  ctx.req.on('close', stop);
  res.on('close', stop);
  // A watch ends when its resource stops being served (its CRD deleted, its version no longer
  // served), as kube-apiserver ends the watches of a custom resource's torn-down storage.
  const { group, version, plural } = ctx.def;
  const unsubscribe = ctx.resources.onChange(() => {
    if (!ctx.resources.lookup(group, version, plural)) stop();
  });
  // As kube-apiserver: no timeoutSeconds (or 0) is a random 30-60 minutes; a negative one ends the watch at once.
  const timeoutMs = timeoutSeconds ? Math.max(0, timeoutSeconds) * 1000 : (1800 + Math.floor(Math.random() * 1800)) * 1000;
  // Node's timers hold at most 2^31-1 ms (~24.8 days); a longer timeoutSeconds (kube takes any
  // int64) would fire at once with a TimeoutOverflowWarning. The watch then simply runs that long.
  const timer = setTimeout(stop, Math.min(timeoutMs, MAX_TIMER_MS));
  const { output, def } = ctx;
  let headersSent = false;
  const write = (type: string, raw: string) => {
    let objectJson = raw;
    if (type !== 'ERROR' && type !== 'BOOKMARK' && output.as) {
      const obj = JSON.parse(raw);
      objectJson = JSON.stringify(
        output.as === 'Table'
          ? toTable(def, [obj], { noHeaders: headersSent, includeObject: q.get('includeObject') ?? undefined, version: output.asVersion })
          : partialObjectMetadata(obj, output.asVersion),
      );
      headersSent = true;
    }
    return res.write(`{"type":"${type}","object":${objectJson}}\n`);
  };
  try {
    for (;;) {
      const r = await events.next();
      if (r.done || abort.signal.aborted) break;
      if (!write(r.value.type, r.value.raw)) {
        // Back-pressure: wait for the socket; a consumer that never drains is dropped by the store.
        // Each wait takes its listeners off again: a stream of large events waits on every write,
        // and leftover 'close' listeners piled up for as long as the watch lasted.
        await new Promise<void>((resolve) => {
          const done = () => {
            res.off('drain', done);
            res.off('close', done);
            resolve();
          };
          res.on('drain', done);
          res.on('close', done);
        });
      }
    }
  } finally {
    clearTimeout(timer);
    unsubscribe();
    ctx.req.off('close', stop);
    await events.return(undefined);
    if (!res.writableEnded) res.end();
  }
}
