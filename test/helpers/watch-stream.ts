/**
 * WatchStream reads a real HTTP watch response line by line, for suites that mirror upstream
 * watch-based tests; next() consumes events like a Go watch channel.
 */
import http from 'node:http';
import { waitFor } from './api-server';

/** StreamObject is an object as a watch event carries it. */
export type StreamObject = { metadata: { name: string; namespace?: string; uid: string; resourceVersion: string; labels?: Record<string, string>; annotations?: Record<string, string>; deletionTimestamp?: string } } & Record<string, any>;

/** StreamEvent is one decoded watch event. */
export type StreamEvent = { type: string; object: StreamObject };

/** WatchStream is an open watch; close() ends it. */
export class WatchStream {
  readonly events: StreamEvent[] = [];
  /** true once the server has ended the response */
  ended = false;
  private cursor = 0;
  private constructor(private readonly req: http.ClientRequest) {}

  /** open starts a watch of base + path with the query (watch=true is added). */
  static open(base: string, path: string, query: Record<string, string>): Promise<WatchStream> {
    const url = `${base}${path}?${new URLSearchParams({ ...query, watch: 'true' })}`;
    return new Promise((resolve, reject) => {
      const req = http.get(url, (res) => {
        if (res.statusCode !== 200) return reject(new Error(`watch ${url} answered ${res.statusCode}`));
        const stream = new WatchStream(req);
        let buffered = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffered += chunk;
          for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
            const line = buffered.slice(0, nl).trim();
            buffered = buffered.slice(nl + 1);
            if (line) stream.events.push(JSON.parse(line));
          }
        });
        res.on('end', () => (stream.ended = true));
        res.on('error', () => undefined);
        resolve(stream);
      });
      req.on('error', reject);
    });
  }

  /** next waits for the next event that matches, skipping those before it. */
  next(what: string, match: (e: StreamEvent) => boolean): Promise<StreamEvent> {
    return waitFor(() => {
      while (this.cursor < this.events.length) {
        const e = this.events[this.cursor++];
        if (match(e)) return e;
      }
      return undefined;
    }, what);
  }

  /** consumed lists the events next() has gone past so far. */
  consumed(): StreamEvent[] {
    return this.events.slice(0, this.cursor);
  }

  close(): void {
    this.req.destroy();
  }
}
