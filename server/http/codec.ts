/**
 * Content negotiation and body codecs: JSON and YAML request bodies, JSON, YAML, Table and
 * PartialObjectMetadata responses, and the 3 MiB request limit.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import YAML from 'yaml';
import { StatusError, badRequest } from '../registry/status-error';
import { interpretError, unrecognizedObject } from './decode-errors';
import { PROTOBUF_MEDIA_TYPE, ProtobufError, ProtobufUnsupportedKindError, decodeProtobufObject } from './protobuf';

/** MAX_BODY_BYTES is kube-apiserver's request size limit (3 MiB). */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;

/** readBody reads the whole request body, refusing bodies over the limit with 413. */
export async function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? '0');
  if (declared > limit) throw tooLarge(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw tooLarge(limit);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function tooLarge(limit: number): StatusError {
  return new StatusError(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${limit}`);
}

/** mediaType is the content type without parameters, lower-cased. */
export function mediaType(header: string | undefined): string {
  return (header ?? '').split(';')[0].trim().toLowerCase();
}

/** decodeObject parses a JSON or YAML body into an object; other media types are 415. */
export function decodeObject(body: Buffer, contentType: string | undefined, what = 'object'): Record<string, unknown> {
  const type = mediaType(contentType) || 'application/json';
  let value: unknown;
  if (type === 'application/json' || type === '*/*') {
    value = parseJson(body);
  } else if (type === 'application/yaml' || type === 'application/x-yaml' || type === 'text/yaml') {
    value = parseYaml(body);
  } else if (type === PROTOBUF_MEDIA_TYPE) {
    // kubectl's typed commands (create configmap, create deployment, auth can-i...) send protobuf.
    try {
      value = decodeProtobufObject(body);
    } catch (err) {
      if (err instanceof ProtobufUnsupportedKindError) throw unsupportedMediaType(type, ['application/json', 'application/yaml']);
      if (err instanceof ProtobufError) throw badRequest(`the request body could not be decoded: ${err.message}`);
      throw err;
    }
  } else {
    throw unsupportedMediaType(type, ['application/json', 'application/yaml', PROTOBUF_MEDIA_TYPE]);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw badRequest(`the ${what} in the request body must be a JSON object`);
  }
  return value as Record<string, unknown>;
}

/**
 * decodeTypedObject decodes the body of a create or update of kind as kube-apiserver's decoder
 * does: a body without a Content-Type is JSON (the first media type the server supports, as
 * kube's NegotiateInputSerializer picks), and a body whose apiVersion and kind cannot be read
 * (not JSON, e.g. YAML sent without a Content-Type, or empty) is kube's 400 "the object
 * provided is unrecognized (must be of type <kind>): ...".
 */
export function decodeTypedObject(body: Buffer, contentType: string | undefined, kind: string): Record<string, unknown> {
  const type = mediaType(contentType) || 'application/json';
  if (type === 'application/json' || type === '*/*') {
    const reason = interpretError(body);
    if (reason) throw unrecognizedObject(kind, reason, body);
  } else if (type === 'application/yaml' || type === 'application/x-yaml' || type === 'text/yaml') {
    try {
      parseYaml(body);
    } catch (err) {
      if (err instanceof StatusError) throw unrecognizedObject(kind, err.message, body);
      throw err;
    }
  }
  return decodeObject(body, type, 'object');
}

/** parseJson parses JSON, turning syntax errors into 400s that say where. */
export function parseJson(body: Buffer): unknown {
  const text = body.toString('utf8');
  if (text.trim() === '') throw badRequest('the request body is empty: Object \'Kind\' is missing in \'\'');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw badRequest(`the request body could not be decoded: ${(err as Error).message}`);
  }
}

/** parseYaml parses one YAML document, turning errors into 400s. */
export function parseYaml(body: Buffer): unknown {
  try {
    const docs = YAML.parseAllDocuments(body.toString('utf8'));
    const list = Array.isArray(docs) ? docs : [docs];
    const real = list.filter((d) => d.contents !== null);
    if (real.length > 1) throw badRequest('the request body must hold a single YAML document');
    const doc = real[0] ?? list[0];
    if (!doc) throw badRequest('the request body is empty');
    if (doc.errors.length) throw badRequest(`error converting YAML to JSON: ${doc.errors[0].message.split('\n')[0]}`);
    return doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    if (err instanceof StatusError) throw err;
    throw badRequest(`error converting YAML to JSON: ${(err as Error).message.split('\n')[0]}`);
  }
}

/** unsupportedMediaType is 415 listing what the endpoint accepts. */
export function unsupportedMediaType(type: string, accepted: string[]): StatusError {
  return new StatusError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`, {
    causes: [{ reason: 'UnsupportedMediaType', message: type }],
  });
}

/** Output is the negotiated response form. */
export interface Output {
  format: 'json' | 'yaml';
  /** 'Table' or 'PartialObjectMetadata' (list forms are implied) when the client asked for a conversion */
  as?: 'Table' | 'PartialObjectMetadata';
  /** version of the meta.k8s.io conversion (v1 or v1beta1) */
  asVersion?: string;
}

/**
 * negotiate picks the response form from the Accept header, taking the first acceptable
 * entry as kube-apiserver does; 406 when nothing offered can be served.
 */
export function negotiate(accept: string | undefined, allowConversions = true): Output {
  if (!accept) return { format: 'json' };
  for (const entry of accept.split(',')) {
    const [type, ...params] = entry.split(';').map((s) => s.trim());
    const p: Record<string, string> = {};
    for (const kv of params) {
      const i = kv.indexOf('=');
      if (i > 0) p[kv.slice(0, i).trim().toLowerCase()] = kv.slice(i + 1).trim();
    }
    const t = type.toLowerCase();
    const format = t === 'application/json' || t === '*/*' || t === 'application/*' ? 'json' : t === 'application/yaml' ? 'yaml' : undefined;
    if (!format) continue;
    if (!p.as) return { format };
    if (!allowConversions) continue;
    if ((p.as === 'Table' || p.as === 'PartialObjectMetadata' || p.as === 'PartialObjectMetadataList') && p.g === 'meta.k8s.io' && (p.v === 'v1' || p.v === 'v1beta1')) {
      return { format, as: p.as === 'Table' ? 'Table' : 'PartialObjectMetadata', asVersion: p.v };
    }
  }
  throw new StatusError(406, 'NotAcceptable', `only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf`);
}

/** send writes a JSON text (or its YAML rendering) with a status code. */
export function send(res: ServerResponse, code: number, json: string, format: 'json' | 'yaml' = 'json', headers: Record<string, string> = {}): void {
  const body = format === 'yaml' ? YAML.stringify(JSON.parse(json)) : json;
  res.writeHead(code, {
    'Content-Type': format === 'yaml' ? 'application/yaml' : 'application/json',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-cache, private',
    ...headers,
  });
  res.end(body);
}

/**
 * sendJoined sends head + parts joined by commas + tail as JSON, in chunks: a list of many
 * objects is never assembled into one string (for YAML it is, since it must be converted).
 */
export function sendJoined(res: ServerResponse, code: number, head: string, parts: string[], tail: string, format: 'json' | 'yaml' = 'json'): void {
  if (format === 'yaml' || parts.length < 256) return send(res, code, head + parts.join(',') + tail, format);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
  res.cork();
  res.write(head);
  const CHUNK = 256;
  for (let i = 0; i < parts.length; i += CHUNK) {
    res.write((i ? ',' : '') + parts.slice(i, i + CHUNK).join(','));
  }
  res.end(tail);
  process.nextTick(() => res.uncork());
}

/** sendBytes sends a JSON body that is already UTF-8 bytes. */
export function sendBytes(res: ServerResponse, code: number, body: Buffer, headers: Record<string, string> = {}): void {
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': body.length, 'Cache-Control': 'no-cache, private', ...headers });
  res.end(body);
}

/**
 * sendJoinedBytes sends head + parts joined by commas + tail, where the parts are stored JSON
 * bytes: each is handed to the socket as it is. Copying them into one large buffer first costs
 * far more (a fresh 20-40 MB allocation page-faults its way in) than the extra write calls.
 */
export function sendJoinedBytes(res: ServerResponse, code: number, head: string, parts: Buffer[], tail: string): void {
  const pieces: Array<string | Buffer> = [head];
  parts.forEach((p, i) => {
    if (i) pieces.push(COMMA);
    pieces.push(p);
  });
  pieces.push(tail);
  sendPieces(res, code, pieces);
}

const COMMA = Buffer.from(',');

/** sendPieces sends a JSON body made of pieces, each handed to the socket as it is. */
export function sendPieces(res: ServerResponse, code: number, pieces: Array<string | Buffer>): void {
  let length = 0;
  for (const p of pieces) length += typeof p === 'string' ? Buffer.byteLength(p) : p.length;
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': length, 'Cache-Control': 'no-cache, private' });
  res.cork();
  for (const p of pieces) res.write(p);
  res.end();
  process.nextTick(() => res.uncork());
}

/** sendObject serialises a value and sends it. */
export function sendObject(res: ServerResponse, code: number, value: unknown, format: 'json' | 'yaml' = 'json'): void {
  send(res, code, JSON.stringify(value), format);
}
