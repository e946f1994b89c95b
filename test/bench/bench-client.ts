/**
 * bench-client: the small HTTP client the soak and freeze benchmarks drive the API server with
 * (one keep-alive agent, bodies read to the end), and a /metrics reader.
 */
import http from 'node:http';

/** BenchAnswer is one response: status, body size and the body when it was asked for. */
export interface BenchAnswer {
  status: number;
  bytes: number;
  text?: string;
}

/** BenchClient sends requests with the bench token over keep-alive connections. */
export class BenchClient {
  readonly agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  private readonly url: URL;

  constructor(base: string, private readonly token: string) {
    this.url = new URL(base);
  }

  /** request sends one request; keepText keeps the body (otherwise only its size is counted). */
  request(method: string, path: string, body?: string, contentType = 'application/json', keepText = false): Promise<BenchAnswer> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string | number> = { Authorization: `Bearer ${this.token}` };
      if (body !== undefined) Object.assign(headers, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) });
      const req = http.request({ host: this.url.hostname, port: this.url.port, method, path, agent: this.agent, headers }, (res) => {
        let bytes = 0;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => {
          bytes += c.length;
          if (keepText) chunks.push(c);
        });
        res.on('end', () => resolve({ status: res.statusCode!, bytes, text: keepText ? Buffer.concat(chunks).toString('utf8') : undefined }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  /** metrics reads the unlabelled samples of /metrics by name. */
  async metrics(): Promise<Map<string, number>> {
    const res = await this.request('GET', '/metrics', undefined, undefined, true);
    const out = new Map<string, number>();
    for (const line of res.text!.split('\n')) {
      if (!line || line.startsWith('#')) continue;
      const at = line.lastIndexOf(' ');
      out.set(line.slice(0, at), Number(line.slice(at + 1)));
    }
    return out;
  }

  /**
   * watch streams a watch and counts its events until stop() is called; the stream is read as it
   * comes, as an informer reads it.
   */
  watch(path: string): { events: () => number; stop: () => void } {
    let events = 0;
    const req = http.request({ host: this.url.hostname, port: this.url.port, method: 'GET', path, headers: { Authorization: `Bearer ${this.token}` } }, (res) => {
      res.on('data', (c: Buffer) => {
        for (let i = c.indexOf(10); i >= 0; i = c.indexOf(10, i + 1)) events++;
      });
      res.on('error', () => undefined);
    });
    req.on('error', () => undefined);
    req.end();
    return { events: () => events, stop: () => req.destroy() };
  }

  close(): void {
    this.agent.destroy();
  }
}
