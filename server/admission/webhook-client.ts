/**
 * Calling an admission or conversion webhook: a POST of a review over HTTPS, verified with the
 * webhook's caBundle, to its `url` or to its Service. nodeless has no cluster network, so a
 * Service is reached through a ready endpoint of its EndpointSlices (or Endpoints), the way
 * kube-apiserver routes with --enable-aggregator-routing; the TLS server name stays the Service's
 * DNS name (<name>.<namespace>.svc), as kube verifies it.
 */
import https from 'node:https';
import type { KubeObject } from '../../schemas/types';

/** WebhookClientConfig is admissionregistration.k8s.io/v1 WebhookClientConfig (and apiextensions' for conversion). */
export interface WebhookClientConfig {
  url?: string;
  service?: { namespace?: string; name?: string; path?: string; port?: number };
  caBundle?: string;
}

/** ServiceTarget is where a Service's webhook is reached: an address and port, with the name TLS verifies. */
export interface ServiceTarget {
  host: string;
  port: number;
}

/** ServiceResolver finds a ready endpoint of a Service port; it throws WebhookCallError when there is none. */
export type ServiceResolver = (namespace: string, name: string, port: number) => Promise<ServiceTarget>;

/** WebhookCallError is a failure to get an answer from a webhook (the call itself, not a denial). */
export class WebhookCallError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookCallError';
  }
}

/** WebhookCall is one review to post. */
export interface WebhookCall {
  clientConfig: WebhookClientConfig;
  timeoutSeconds: number;
  body: unknown;
}

// A timeout is written as Go's time.Duration prints it in kube's ?timeout= parameter.
function goDuration(seconds: number): string {
  return `${seconds}s`;
}

/**
 * callWebhook posts the review and resolves with the parsed JSON answer. A refused connection,
 * a TLS failure, a timeout, a non-200 answer or a body that is not JSON rejects with a
 * WebhookCallError worded as kube's rest client words it (`Post "https://…": …`).
 */
export async function callWebhook(call: WebhookCall, resolve: ServiceResolver): Promise<KubeObject> {
  const cfg = call.clientConfig;
  let url: URL;
  let connectTo: ServiceTarget | undefined;
  let servername: string | undefined;
  if (cfg.url) {
    url = new URL(cfg.url);
  } else if (cfg.service?.name && cfg.service.namespace) {
    const svc = cfg.service;
    const port = svc.port ?? 443;
    servername = `${svc.name}.${svc.namespace}.svc`;
    url = new URL(`https://${servername}:${port}${svc.path ?? ''}`);
    connectTo = await resolve(svc.namespace!, svc.name!, port);
  } else {
    throw new WebhookCallError('webhook has no url and no service');
  }
  url.searchParams.set('timeout', goDuration(call.timeoutSeconds));
  const shown = `Post "${url.toString()}"`;
  const payload = Buffer.from(JSON.stringify(call.body));
  const ca = cfg.caBundle ? Buffer.from(cfg.caBundle, 'base64').toString('utf8') : undefined;
  return new Promise<KubeObject>((resolvePromise, reject) => {
    let settled = false;
    const fail = (why: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      reject(new WebhookCallError(`${shown}: ${why}`));
    };
    const req = https.request(
      {
        method: 'POST',
        host: connectTo?.host ?? url.hostname.replace(/^\[|\]$/g, ''),
        port: connectTo?.port ?? (url.port ? Number(url.port) : 443),
        path: url.pathname + url.search,
        // Node verifies the certificate against servername (the Service's DNS name) when it is set.
        servername: servername ?? (isIpLiteral(url.hostname) ? undefined : url.hostname),
        ca,
        headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'Content-Length': payload.length, Host: url.host },
        // Each call is its own connection: a webhook that changed its certificate is verified anew.
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (e) => fail(e.message));
        res.on('end', () => {
          if (settled) return;
          const text = Buffer.concat(chunks).toString('utf8');
          if ((res.statusCode ?? 0) < 200 || (res.statusCode ?? 0) >= 300) {
            fail(`the server responded with the status code ${res.statusCode} but did not return more information`);
            return;
          }
          try {
            const parsed = JSON.parse(text) as KubeObject;
            settled = true;
            clearTimeout(timer);
            resolvePromise(parsed);
          } catch {
            fail('the server returned a body that is not JSON');
          }
        });
      },
    );
    const timer = setTimeout(() => fail('context deadline exceeded'), call.timeoutSeconds * 1000);
    req.on('error', (e: NodeJS.ErrnoException) => fail(describeNetworkError(e, url)));
    req.end(payload);
  });
}

function isIpLiteral(host: string): boolean {
  return /^\d+\.\d+\.\d+\.\d+$/.test(host) || host.startsWith('[');
}

// describeNetworkError words Node's socket and TLS errors the way Go's net/http reports them.
function describeNetworkError(e: NodeJS.ErrnoException, url: URL): string {
  const addr = `${url.hostname}:${url.port || 443}`;
  switch (e.code) {
    case 'ECONNREFUSED':
      return `dial tcp ${addr}: connect: connection refused`;
    case 'ENOTFOUND':
      return `dial tcp: lookup ${url.hostname}: no such host`;
    case 'ECONNRESET':
      return 'read: connection reset by peer';
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
      return 'tls: failed to verify certificate: x509: certificate signed by unknown authority';
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return `tls: failed to verify certificate: x509: certificate is not valid for ${url.hostname}`;
    default:
      return e.message;
  }
}
