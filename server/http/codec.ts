/**
 * Content negotiation and body codecs: JSON and YAML request bodies, JSON, YAML, Table and
 * PartialObjectMetadata responses, and the 3 MiB request limit.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import YAML from 'yaml';
import { StatusError, badRequest, escapeLikeGo } from '../../schemas/meta/status-error';
import { MAX_NESTING_DEPTH, checkDecodedValue, memberCount, scanJson } from './body-limits';
import { interpretError, unrecognizedObject } from './decode-errors';
import { duplicateJsonFields } from '../registry/field-validation';
import { PROTOBUF_MEDIA_TYPE, ProtobufError, ProtobufUnsupportedKindError, decodeProtobufObject } from './protobuf';

/** MAX_BODY_BYTES is kube-apiserver's request size limit (3 MiB). */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;

/**
 * readBody reads the whole request body, refusing bodies over the limit with 413.
 *
 * Memory: the body is copied into one buffer as it arrives (sized from Content-Length, else
 * grown by doubling), so a request costs at most about twice its length however small its
 * chunks are; keeping every chunk would cost a few hundred bytes of Buffer overhead per chunk,
 * which a client sending 1-byte chunks turns into ~400 bytes per byte. A body found too large
 * mid-stream is not read further: the 413 goes out with Connection: close and the connection is
 * closed after it, as Go's server does, since the rest of that body would otherwise be taken
 * for the next request on a keep-alive connection.
 */
export function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? '0');
  if (declared > limit) {
    closeAfterResponse(req);
    return Promise.reject(tooLarge(limit));
  }
  return new Promise<Buffer>((resolve, reject) => {
    let buf = Buffer.allocUnsafe(declared > 0 ? declared : 0);
    let size = 0;
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onAborted);
    };
    const onData = (chunk: Buffer) => {
      if (size + chunk.length > limit) {
        cleanup();
        closeAfterResponse(req);
        reject(tooLarge(limit));
        return;
      }
      if (size + chunk.length > buf.length) {
        const grown = Buffer.allocUnsafe(Math.min(limit, Math.max(16 * 1024, buf.length * 2, size + chunk.length)));
        buf.copy(grown, 0, 0, size);
        buf = grown;
      }
      chunk.copy(buf, size);
      size += chunk.length;
    };
    const onEnd = () => {
      cleanup();
      resolve(size === buf.length ? buf : buf.subarray(0, size));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    const onAborted = () => {
      cleanup();
      reject(new StatusError(400, 'BadRequest', 'the request body could not be read'));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onAborted);
  });
}

// closeAfterResponse makes the response of req (express links it as req.res) the last on its
// connection. Node closes a Connection: close socket as soon as the response is written; the
// client may still be sending the body we refused, and data arriving at a closed socket makes
// the kernel answer with a reset that destroys the response before the client reads it. So, as
// Go's server does, the close lingers: our side is shut for writing, the rest of the body is
// read and dropped, and the socket is destroyed after LINGER_MS.
function closeAfterResponse(req: IncomingMessage): void {
  const socket = req.socket;
  const res = (req as IncomingMessage & { res?: ServerResponse }).res;
  if (res && !res.headersSent) res.setHeader('Connection', 'close');
  if (!socket || (socket as { lingering?: boolean }).lingering) return;
  (socket as { lingering?: boolean }).lingering = true;
  socket.destroySoon = () => {
    socket.end();
    req.resume();
    socket.resume();
    setTimeout(() => socket.destroy(), LINGER_MS).unref();
  };
}

const LINGER_MS = 500;

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
  return asObject(value, what);
}

function asObject(value: unknown, what: string): Record<string, unknown> {
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
    // Go's syntax check (interpretError) costs about as much as JSON.parse on a large body and
    // can only fail where JSON.parse fails or the value is not an object, so it runs only then,
    // to word kube's answer.
    let value: unknown;
    try {
      value = parseJson(body);
    } catch (err) {
      const reason = interpretError(body);
      if (reason) throw unrecognizedObject(kind, reason, body);
      throw err;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      const reason = interpretError(body);
      if (reason) throw unrecognizedObject(kind, reason, body);
    }
    return asObject(value, 'object');
  } else if (type === 'application/yaml' || type === 'application/x-yaml' || type === 'text/yaml') {
    let value: unknown;
    try {
      value = parseYaml(body);
    } catch (err) {
      if (err instanceof StatusError) throw unrecognizedObject(kind, err.message, body);
      throw err;
    }
    return asObject(value, 'object');
  }
  return decodeObject(body, type, 'object');
}

/**
 * parseJson parses JSON, turning syntax errors into 400s that say where. Nesting and numbers are
 * checked first (body-limits.ts), so nothing deeper than MAX_NESTING_DEPTH is ever built.
 */
export function parseJson(body: Buffer): unknown {
  const text = body.toString('utf8');
  if (text.trim() === '') throw badRequest('the request body is empty: Object \'Kind\' is missing in \'\'');
  let value: unknown;
  try {
    const members = scanJson(body);
    value = JSON.parse(text);
    scanned.set(body, { members, value });
  } catch (err) {
    throw badRequest(`the request body could not be decoded: ${(err as Error).message}`);
  }
  return value;
}

// scanned holds, for the JSON bodies parseJson decoded, the member names scanJson counted in the
// text beside the decoded value, so that knownDuplicates can tell later, in a turn of the loop
// of its own for a large body, whether the text repeats a key. withoutDuplicates holds the
// bodies already known to repeat none.
const scanned = new WeakMap<Buffer, { members: number; value: unknown }>();
const withoutDuplicates = new WeakSet<Buffer>();

/**
 * knownDuplicates is [] for a body parseJson or parseYaml decoded that repeats no key, and
 * undefined otherwise (the caller then looks for the repeated keys itself). It must be asked
 * before anything changes the decoded value. Counting members costs a few milliseconds where
 * the path-keeping scan cost ~60 ms for 50,000 keys.
 */
export function knownDuplicates(body: Buffer): string[] | undefined {
  if (withoutDuplicates.has(body)) return [];
  const seen = scanned.get(body);
  if (!seen) return undefined;
  scanned.delete(body);
  if (memberCount(seen.value) !== seen.members) return undefined;
  withoutDuplicates.add(body);
  return [];
}

/**
 * parseYaml parses one YAML document, turning errors into 400s. The document's nesting is
 * checked on its syntax tree, without recursion, before anything recursive runs; integers
 * are kept as bigint by the parser so that ones a number cannot hold are refused rather than
 * rounded; and the converted value is measured, so aliases (at most 100 of them, as
 * maxAliasCount allows) cannot expand the document past the body limit.
 */
export function parseYaml(body: Buffer): unknown {
  try {
    const text = body.toString('utf8');
    // JSON is YAML, and what kubectl sends as an apply patch: read it as JSON when it is JSON
    // without repeated keys (which YAML refuses), at JSON's cost rather than the YAML composer's.
    const json = jsonDocument(body, text);
    if (json !== undefined) return json;
    if (yamlDepth(text, MAX_NESTING_DEPTH) > MAX_NESTING_DEPTH) {
      throw badRequest(`error converting YAML to JSON: yaml: exceeded max depth of ${MAX_NESTING_DEPTH}`);
    }
    // The composer's own check of repeated keys compares each key with every earlier one of its
    // map (quadratic: 20,000 keys took 9 s); repeatedKey does it with a set per map.
    const docs = YAML.parseAllDocuments(text, { intAsBigInt: true, uniqueKeys: false });
    const list = Array.isArray(docs) ? docs : [docs];
    const real = list.filter((d) => d.contents !== null);
    if (real.length > 1) throw badRequest('the request body must hold a single YAML document');
    const doc = real[0] ?? list[0];
    if (!doc) throw badRequest('the request body is empty');
    if (doc.errors.length) throw badRequest(`error converting YAML to JSON: ${doc.errors[0].message.split('\n')[0]}`);
    if (repeatedKey(doc.contents)) throw badRequest('error converting YAML to JSON: Map keys must be unique');
    return checkDecodedValue(doc.toJS({ maxAliasCount: 100 }), MAX_BODY_BYTES);
  } catch (err) {
    if (err instanceof StatusError) throw err;
    throw badRequest(`error converting YAML to JSON: ${(err as Error).message.split('\n')[0]}`);
  }
}

// jsonDocument is the value of a body that is one JSON object or array without repeated keys;
// undefined for anything else, which the YAML reader then decides on.
function jsonDocument(body: Buffer, text: string): unknown {
  const start = text.trimStart()[0];
  if (start !== '{' && start !== '[') return undefined;
  let value: unknown;
  let members: number;
  try {
    members = scanJson(body);
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (memberCount(value) === members) {
    withoutDuplicates.add(body);
    return value;
  }
  const repeated = duplicateJsonFields(text);
  return repeated && repeated.length === 0 ? value : undefined;
}

// repeatedKey tells whether any map of a composed document (nested at most MAX_NESTING_DEPTH,
// as yamlDepth checked) repeats a key, without recursion.
function repeatedKey(root: unknown): boolean {
  const stack: unknown[] = [root];
  while (stack.length) {
    const node = stack.pop();
    if (YAML.isMap(node)) {
      const seen = new Set<unknown>();
      for (const pair of node.items) {
        const key = YAML.isScalar(pair.key) ? pair.key.value : pair.key;
        const id = typeof key === 'object' && key !== null ? String(key) : key;
        if (seen.has(id)) return true;
        seen.add(id);
        stack.push(pair.value);
      }
    } else if (YAML.isSeq(node)) {
      for (const item of node.items) stack.push(item);
    }
  }
  return false;
}

// yamlDepth is the nesting of collections in YAML text, measured on the concrete syntax tree
// of the yaml package's Parser, which is built without recursion, so that the composer and toJS
// (which recurse) never see a document nested past limit. It stops counting once past limit.
// Aliases are not followed (checkDecodedValue measures what they expand to).
function yamlDepth(text: string, limit: number): number {
  let deepest = 0;
  const stack: Array<[unknown, number]> = [];
  for (const token of new YAML.Parser().parse(text)) stack.push([token, 0]);
  while (stack.length) {
    const [t, d] = stack.pop()!;
    if (t === null || typeof t !== 'object') continue;
    const token = t as { value?: unknown; items?: Array<{ key?: unknown; value?: unknown }> };
    let depth = d;
    if (Array.isArray(token.items)) {
      depth = d + 1;
      if (depth > deepest) deepest = depth;
      if (depth > limit) return depth;
      for (const item of token.items) {
        if (item.key) stack.push([item.key, depth]);
        if (item.value) stack.push([item.value, depth]);
      }
    }
    if (token.value && typeof token.value === 'object') stack.push([token.value, depth]);
  }
  return deepest;
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
  /** JSON is indented, as kube-apiserver's pretty serializer writes it (see prettyPrint) */
  pretty?: boolean;
}

/**
 * BodyFormat is how a JSON text is written: compact JSON ending with the newline Go's
 * json.Encoder writes, YAML, or json.MarshalIndent's two-space indent (which ends without one).
 */
export type BodyFormat = 'json' | 'yaml' | 'json-pretty';

/** bodyFormat is the BodyFormat of a negotiated Output. */
export function bodyFormat(output: Output): BodyFormat {
  return output.format === 'json' && output.pretty ? 'json-pretty' : output.format;
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

/** send writes a JSON text (or its YAML or indented rendering) with a status code. */
export function send(res: ServerResponse, code: number, json: string, format: BodyFormat = 'json', headers: Record<string, string> = {}): void {
  const body =
    format === 'yaml' ? YAML.stringify(JSON.parse(json)) : format === 'json-pretty' ? escapeLikeGo(JSON.stringify(JSON.parse(json), null, 2)) : withNewline(json);
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
export function sendJoined(res: ServerResponse, code: number, head: string, parts: string[], tail: string, format: BodyFormat = 'json'): void {
  if (format !== 'json' || parts.length < 256) return send(res, code, head + parts.join(',') + tail, format);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
  res.cork();
  res.write(head);
  const CHUNK = 256;
  for (let i = 0; i < parts.length; i += CHUNK) {
    res.write((i ? ',' : '') + parts.slice(i, i + CHUNK).join(','));
  }
  res.end(tail + '\n');
  process.nextTick(() => res.uncork());
}

/** sendBytes sends a JSON body that is already UTF-8 bytes, followed by json.Encoder's newline. */
export function sendBytes(res: ServerResponse, code: number, body: Buffer, headers: Record<string, string> = {}): void {
  const newline = body.length > 0 && body[body.length - 1] === 0x0a ? 0 : 1;
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': body.length + newline, 'Cache-Control': 'no-cache, private', ...headers });
  if (!newline) return void res.end(body);
  res.cork();
  res.write(body);
  res.end(NEWLINE);
  process.nextTick(() => res.uncork());
}

const NEWLINE = Buffer.from('\n');

// withNewline ends a JSON text with the newline Go's json.Encoder writes after every value.
function withNewline(json: string): string {
  return json.endsWith('\n') ? json : json + '\n';
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

/** sendPieces sends a JSON body made of pieces, each handed to the socket as it is, and a final newline. */
export function sendPieces(res: ServerResponse, code: number, pieces: Array<string | Buffer>): void {
  let length = NEWLINE.length;
  for (const p of pieces) length += typeof p === 'string' ? Buffer.byteLength(p) : p.length;
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': length, 'Cache-Control': 'no-cache, private' });
  res.cork();
  for (const p of pieces) res.write(p);
  res.end(NEWLINE);
  process.nextTick(() => res.uncork());
}

/** sendObject serialises a value and sends it. */
export function sendObject(res: ServerResponse, code: number, value: unknown, format: BodyFormat = 'json'): void {
  send(res, code, JSON.stringify(value), format);
}
