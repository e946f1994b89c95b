/**
 * A small HTTPS webhook server for admission and conversion webhook tests: a fresh CA and a
 * serving certificate for 127.0.0.1, localhost and the Service DNS names asked for; each POST
 * is parsed, recorded and answered by the path's handler.
 */
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { createAuthority, issueServingCertificate } from '../../server/auth/tls';

/** ReviewHandler answers one review body (AdmissionReview or ConversionReview); a promise may delay it. */
export type ReviewHandler = (review: any, path: string) => unknown | Promise<unknown>;

/** WebhookServer is a running HTTPS webhook endpoint. */
export interface WebhookServer {
  /** url of the server root, e.g. https://127.0.0.1:43210 */
  url: string;
  port: number;
  /** caBundle is the CA as base64 PEM, as a webhook's clientConfig.caBundle carries it */
  caBundle: string;
  /** received lists every review posted, with its path (and query) */
  received: Array<{ path: string; body: any }>;
  /** handle sets the handler of one path (without query) */
  handle(path: string, handler: ReviewHandler): void;
  close(): Promise<void>;
}

/** startWebhookServer listens on 127.0.0.1 port 0; hosts adds DNS names to the certificate. */
export async function startWebhookServer(hosts: string[] = []): Promise<WebhookServer> {
  const certs = issueServingCertificate(createAuthority(), ['127.0.0.1', 'localhost', ...hosts]);
  const handlers = new Map<string, ReviewHandler>();
  const received: WebhookServer['received'] = [];
  const server = https.createServer({ cert: certs.cert, key: certs.key }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0];
      let body: any;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        res.writeHead(400).end();
        return;
      }
      received.push({ path: req.url ?? '/', body });
      const handler = handlers.get(path);
      if (!handler) {
        res.writeHead(404).end();
        return;
      }
      Promise.resolve(handler(body, path)).then(
        (answer) => {
          if (res.destroyed) return;
          res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(answer));
        },
        () => res.writeHead(500).end(),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `https://127.0.0.1:${port}`,
    port,
    caBundle: Buffer.from(certs.caCert).toString('base64'),
    received,
    handle: (path, handler) => handlers.set(path, handler),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** allow answers an AdmissionReview with allowed: true, and a JSON patch when one is given. */
export function allow(review: any, patch?: unknown[], warnings?: string[]): unknown {
  const response: Record<string, unknown> = { uid: review.request.uid, allowed: true };
  if (patch) {
    response.patchType = 'JSONPatch';
    response.patch = Buffer.from(JSON.stringify(patch)).toString('base64');
  }
  if (warnings) response.warnings = warnings;
  return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response };
}

/** deny answers an AdmissionReview with allowed: false and a Status message (and code). */
export function deny(review: any, message: string, code?: number): unknown {
  return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: review.request.uid, allowed: false, status: { message, code } } };
}
