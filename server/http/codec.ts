/**
 * Content negotiation and body codecs: JSON and YAML request bodies, JSON, YAML, Table and
 * PartialObjectMetadata responses, and the 3 MiB request limit.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import YAML from 'yaml';
import { StatusError, badRequest, escapeLikeGo } from '../../schemas/meta/status-error';
import { MAX_BODY_BYTES, memberCount, scanJson } from './body-limits';
import { type DecodedYaml, YamlDecodeError, decodeYamlText } from './yaml-decode';
import { OFF_THREAD_YAML_BYTES, decodeYamlOffThread } from './yaml-thread';
import { interpretError, unrecognizedObject } from './decode-errors';
import { duplicateJsonFields } from '../registry/field-validation';
import { PROTOBUF_MEDIA_TYPE, ProtobufError, ProtobufUnsupportedKindError, decodeProtobufObject } from './protobuf';

export { MAX_BODY_BYTES };

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
export async function decodeObject(body: Buffer, contentType: string | undefined, what = 'object'): Promise<Record<string, unknown>> {
  const type = mediaType(contentType) || 'application/json';
  let value: unknown;
  if (type === 'application/json' || type === '*/*') {
    value = parseJson(body);
  } else if (type === 'application/yaml' || type === 'application/x-yaml' || type === 'text/yaml') {
    value = await readYaml(body);
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
export async function decodeTypedObject(body: Buffer, contentType: string | undefined, kind: string): Promise<Record<string, unknown>> {
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
      value = await readYaml(body);
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
// of its own for a large body, whether the text repeats a key. decodedDuplicates holds the
// repeated keys of the bodies whose decoding found them: [] for JSON known to repeat none, the
// YAML decoder's list for YAML.
const scanned = new WeakMap<Buffer, { members: number; value: unknown }>();
const decodedDuplicates = new WeakMap<Buffer, string[]>();

/**
 * knownDuplicates is the repeated keys of a body readYaml decoded as YAML, [] for a JSON body
 * parseJson or readYaml decoded that repeats no key, and undefined otherwise (the caller then
 * looks for the repeated keys itself). It must be asked before anything changes the decoded
 * value. Counting members costs a few milliseconds where the path-keeping scan cost ~60 ms for
 * 50,000 keys, and parsing a YAML body again costs as much as decoding it.
 */
export function knownDuplicates(body: Buffer): string[] | undefined {
  const known = decodedDuplicates.get(body);
  if (known) return known;
  const seen = scanned.get(body);
  if (!seen) return undefined;
  scanned.delete(body);
  if (memberCount(seen.value) !== seen.members) return undefined;
  decodedDuplicates.set(body, []);
  return [];
}

/**
 * readYaml parses a YAML request body into one document's value (decodeYamlText), turning
 * errors into 400s; a body that is not JSON and not small is decoded in the worker thread of
 * yaml-thread.ts, so that its parse holds up no other client.
 */
export async function readYaml(body: Buffer): Promise<unknown> {
  const text = body.toString('utf8');
  // JSON is YAML, and what kubectl sends as an apply patch: read it as JSON when it is JSON
  // without repeated keys (which YAML refuses), at JSON's cost rather than the YAML composer's.
  const json = jsonDocument(body, text);
  if (json !== undefined) return json;
  let decoded: DecodedYaml;
  try {
    decoded = body.length < OFF_THREAD_YAML_BYTES ? decodeYamlText(text) : await decodeYamlOffThread(text);
  } catch (err) {
    throw asBadRequest(err);
  }
  decodedDuplicates.set(body, decoded.duplicateFields);
  return decoded.value;
}

function asBadRequest(err: unknown): unknown {
  return err instanceof YamlDecodeError ? badRequest(err.message) : err;
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
    decodedDuplicates.set(body, []);
    return value;
  }
  const repeated = duplicateJsonFields(text);
  return repeated && repeated.length === 0 ? value : undefined;
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
