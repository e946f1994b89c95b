/**
 * The Kubernetes protobuf wire format, `application/vnd.kubernetes.protobuf`, which client-go
 * and kubectl's typed-client commands use for built-in kinds (kubectl 1.32 sends it for
 * `create configmap|secret|deployment|service|namespace|job|cronjob|quota|role|...`,
 * `create token`, `auth can-i` and `auth whoami`; `run` sends JSON). A body is the 4 bytes `k8s\0` and a runtime.Unknown message
 * {1: typeMeta {1: apiVersion, 2: kind}, 2: raw (the object's own message), 3: contentEncoding,
 * 4: contentType}. Field numbers and wire kinds of every message come from
 * schemas/generated/protobuf-fields.json (see test/generators/generate-protobuf.ts).
 *
 * Decoding yields the object's Kubernetes JSON form, the way Go's encoding/json would render
 * the struct client-go decoded: a non-pointer scalar that is zero and `omitempty` is dropped
 * (Go writes every non-pointer field on the wire, so presence means nothing for them), a
 * pointer field keeps its zero value (`replicas: 0`), and Quantity, IntOrString, Time, []byte
 * and the raw-JSON holders take their JSON shapes. Two deliberate differences from Go: a zero
 * Time and an empty list or map are left out rather than rendered as null.
 */
import { isPlainObject } from '../../schemas/meta/json';
import { MAX_NESTING_DEPTH, scanJson } from './body-limits';
import * as fs from 'fs';
import * as path from 'path';
import type { ProtobufField, ProtobufMessage, ProtobufScalar, ProtobufSpecial, ProtobufTable } from '../../schemas/protobuf-table';
import { definitionNameFor } from '../../schemas/openapi-definitions';

/** PROTOBUF_MEDIA_TYPE is the content type of Kubernetes protobuf bodies. */
export const PROTOBUF_MEDIA_TYPE = 'application/vnd.kubernetes.protobuf';

/** PROTOBUF_MAGIC is the prefix of every Kubernetes protobuf body: "k8s" and a zero byte. */
export const PROTOBUF_MAGIC: Readonly<Buffer> = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

/** ProtobufError is thrown for bytes that are not a well-formed object of a known kind; the HTTP layer answers 400. */
export class ProtobufError extends Error {
  override readonly name: string = 'ProtobufError';
}

/**
 * ProtobufUnsupportedKindError is the ProtobufError for a well-formed envelope whose kind has no
 * protobuf form (custom resources are JSON only); kube-apiserver answers such a body 415.
 */
export class ProtobufUnsupportedKindError extends ProtobufError {
  override readonly name: string = 'ProtobufUnsupportedKindError';
}

/** EncodeOptions tunes encodeProtobufObject. */
export interface EncodeOptions {
  /**
   * emitZeroValues writes every non-pointer field that is absent from the JSON as its zero
   * value, as Go's generated marshallers do, so the bytes equal what client-go would send.
   * The default writes only the fields the object has: smaller, and decoding gives the same
   * object back.
   */
  emitZeroValues?: boolean;
}

const UNKNOWN = 'io.k8s.apimachinery.pkg.runtime.Unknown';
const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LEN = 2;
const WIRE_FIXED32 = 5;
// Go's zero time.Time (0001-01-01T00:00:00Z) as Unix seconds; Go renders it as null.
const ZERO_TIME_SECONDS = -62135596800;
// A bound on nesting, so hostile input (say a JSONSchemaProps nested a million deep) fails as
// bad input instead of overflowing the stack.
const MAX_DEPTH = 256;
// Returned by special decoders where Go's JSON would be null: the field is left out.
const OMIT = Symbol('omit');

/** isProtobuf reports whether a Content-Type header names the Kubernetes protobuf format. */
export function isProtobuf(contentType: string | undefined): boolean {
  return (contentType ?? '').split(';')[0].trim().toLowerCase() === PROTOBUF_MEDIA_TYPE;
}

// ---------------------------------------------------------------------------------------------
// The field table

let table: ProtobufTable | undefined;
const byNumber = new Map<string, Map<number, ProtobufField>>();
const byNumberSorted = new Map<string, ProtobufField[]>();

/** loadTable reads protobuf-fields.json once, from schemas/generated beside the sources. */
function loadTable(): ProtobufTable {
  if (table) return table;
  const candidates = [
    path.join(__dirname, '..', '..', 'schemas', 'generated', 'protobuf-fields.json'),
    path.join(__dirname, '..', '..', '..', 'schemas', 'generated', 'protobuf-fields.json'),
  ];
  const file = candidates.find((f) => fs.existsSync(f));
  if (!file) throw new Error(`protobuf-fields.json not found (looked in ${candidates.join(', ')})`);
  table = JSON.parse(fs.readFileSync(file, 'utf8')) as ProtobufTable;
  return table;
}

/** messageOf returns the layout of a message, or throws ProtobufError for an unknown one. */
function messageOf(name: string): ProtobufMessage {
  const message = loadTable().messages[name];
  if (!message) throw new ProtobufError(`no protobuf message is known for ${name}`);
  return message;
}

/** fieldsOf indexes a message's fields by number. */
function fieldsOf(name: string): Map<number, ProtobufField> {
  let fields = byNumber.get(name);
  if (!fields) {
    fields = new Map(messageOf(name).fields.map((f) => [f.number, f]));
    byNumber.set(name, fields);
  }
  return fields;
}

/** fieldsInWireOrder lists a message's fields by number, the order Go writes them in. */
function fieldsInWireOrder(name: string): ProtobufField[] {
  let fields = byNumberSorted.get(name);
  if (!fields) {
    fields = [...messageOf(name).fields].sort((a, b) => a.number - b.number);
    byNumberSorted.set(name, fields);
  }
  return fields;
}

/** hasProtobufMessage reports whether the table knows a definition, e.g. io.k8s.api.core.v1.Pod. */
export function hasProtobufMessage(definitionName: string): boolean {
  return definitionName in loadTable().messages;
}

function isScalar(type: string): type is ProtobufScalar {
  return type === 'string' || type === 'bytes' || type === 'int32' || type === 'int64' || type === 'bool' || type === 'double';
}


// ---------------------------------------------------------------------------------------------
// Reading

/** Reader walks protobuf bytes; every read checks bounds and throws ProtobufError when short. */
class Reader {
  pos = 0;
  constructor(private readonly buf: Buffer) {}

  done(): boolean {
    return this.pos >= this.buf.length;
  }

  /** varint returns the low and high 32 bits of a base-128 varint of at most 10 bytes. */
  varint(): { lo: number; hi: number } {
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.buf.length) throw new ProtobufError('truncated varint');
      const b = this.buf[this.pos++];
      if (i < 4) lo |= (b & 0x7f) << (7 * i);
      else if (i === 4) {
        lo |= (b & 0x0f) << 28;
        hi |= (b & 0x7f) >> 4;
      } else hi |= (b & 0x7f) << (7 * i - 32);
      if (b < 0x80) return { lo: lo >>> 0, hi: hi >>> 0 };
    }
    throw new ProtobufError('varint longer than 10 bytes');
  }

  /** uint32 reads a varint that must fit 32 unsigned bits (tags and lengths). */
  uint32(): number {
    const { lo, hi } = this.varint();
    if (hi !== 0) throw new ProtobufError('varint out of range');
    return lo;
  }

  take(length: number): Buffer {
    if (length > this.buf.length - this.pos) throw new ProtobufError(`length ${length} runs past the end of the message`);
    const out = this.buf.subarray(this.pos, this.pos + length);
    this.pos += length;
    return out;
  }

  lengthDelimited(): Buffer {
    return this.take(this.uint32());
  }

  /** skip passes over a field this table does not know, as Go's unmarshallers do. */
  skip(wire: number): void {
    if (wire === WIRE_VARINT) this.varint();
    else if (wire === WIRE_FIXED64) this.take(8);
    else if (wire === WIRE_LEN) this.lengthDelimited();
    else if (wire === WIRE_FIXED32) this.take(4);
    else throw new ProtobufError(`unsupported wire type ${wire}`);
  }
}

/** int64Of turns the two halves of a varint into a JS number; one beyond 2^53 cannot be kept exactly and is refused. */
function int64Of({ lo, hi }: { lo: number; hi: number }): number {
  if (hi === 0) return lo;
  const big = BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo));
  if (big > BigInt(Number.MAX_SAFE_INTEGER) || big < -BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new ProtobufError(`the integer ${big} cannot be kept exactly: integers between 2^53 and 2^63 in magnitude are not supported`);
  }
  return Number(big);
}

function expectedWire(type: string): number {
  if (type === 'int32' || type === 'int64' || type === 'bool') return WIRE_VARINT;
  if (type === 'double') return WIRE_FIXED64;
  return WIRE_LEN;
}

/** readScalar reads one scalar value; bytes stay a Buffer until placed in JSON. */
function readScalar(type: ProtobufScalar, r: Reader): unknown {
  switch (type) {
    case 'string':
      return r.lengthDelimited().toString('utf8');
    case 'bytes':
      return Buffer.from(r.lengthDelimited());
    case 'int32':
      return r.varint().lo | 0;
    case 'int64':
      return int64Of(r.varint());
    case 'bool': {
      const { lo, hi } = r.varint();
      return lo !== 0 || hi !== 0;
    }
    case 'double': {
      const value = r.take(8).readDoubleLE(0);
      if (!Number.isFinite(value)) throw new ProtobufError(`a double is ${value}, which JSON cannot carry`);
      return value;
    }
  }
}

/** zeroOf is the value of an absent scalar in a map entry. */
function zeroOf(type: ProtobufScalar): unknown {
  if (type === 'string') return '';
  if (type === 'bytes') return Buffer.alloc(0);
  if (type === 'bool') return false;
  return 0;
}

function isZero(value: unknown): boolean {
  return value === '' || value === 0 || value === false || (Buffer.isBuffer(value) && value.length === 0);
}

/** jsonOf turns a read value into its JSON form ([]byte is base64; OMIT inside lists is null). */
function jsonOf(value: unknown): unknown {
  if (value === OMIT) return null;
  return Buffer.isBuffer(value) ? value.toString('base64') : value;
}

/**
 * readValues reads one occurrence of a field: one value, or several for a packed repeated
 * number. Messages come back in their JSON form (special ones converted).
 */
function readValues(owner: string, field: ProtobufField, wire: number, r: Reader, depth: number): unknown[] {
  const want = expectedWire(field.type);
  if (wire !== want) {
    if (field.repeated && wire === WIRE_LEN && want !== WIRE_LEN) {
      const packed = new Reader(r.lengthDelimited());
      const out: unknown[] = [];
      while (!packed.done()) out.push(readScalar(field.type as ProtobufScalar, packed));
      return out;
    }
    throw new ProtobufError(`field ${field.name} (${field.number}) of ${owner} has wire type ${wire}, expected ${want}`);
  }
  if (isScalar(field.type)) return [readScalar(field.type, r)];
  return [decodeMessageValue(field.type, r.lengthDelimited(), depth + 1)];
}

/** decodeMessageValue decodes the bytes of one message into its JSON value (or OMIT). */
function decodeMessageValue(name: string, bytes: Buffer, depth: number): unknown {
  const special = messageOf(name).special;
  if (special) return decodeSpecial(special, name, bytes, depth);
  const out: Record<string, unknown> = {};
  decodeInto(out, name, bytes, depth);
  return out;
}

/** readMapEntry reads one {1: key, 2: value} entry of a map field. */
function readMapEntry(owner: string, field: ProtobufField, bytes: Buffer, depth: number): [string, unknown] {
  const r = new Reader(bytes);
  let key: unknown = zeroOf(field.mapKey!);
  let value: unknown;
  while (!r.done()) {
    const tag = r.uint32();
    const number = tag >>> 3;
    const wire = tag & 7;
    if (number === 1) {
      if (wire !== expectedWire(field.mapKey!)) throw new ProtobufError(`map key of ${owner}.${field.name} has wire type ${wire}`);
      key = readScalar(field.mapKey!, r);
    } else if (number === 2) {
      value = readValues(owner, { ...field, repeated: undefined }, wire, r, depth)[0];
    } else if (number === 0) {
      throw new ProtobufError(`field number 0 in a map entry of ${owner}.${field.name}`);
    } else {
      r.skip(wire);
    }
  }
  if (value === undefined) value = isScalar(field.type) ? zeroOf(field.type) : decodeMessageValue(field.type, Buffer.alloc(0), depth + 1);
  return [String(jsonOf(key)), value];
}

/** decodeInto decodes a plain message's fields into target under their JSON names. */
function decodeInto(target: Record<string, unknown>, name: string, bytes: Buffer, depth: number): void {
  if (depth > MAX_DEPTH) throw new ProtobufError(`objects nested deeper than ${MAX_DEPTH} levels`);
  const fields = fieldsOf(name);
  const r = new Reader(bytes);
  while (!r.done()) {
    const tag = r.uint32();
    const number = tag >>> 3;
    const wire = tag & 7;
    if (number === 0) throw new ProtobufError(`field number 0 in ${name}`);
    const field = fields.get(number);
    if (!field) {
      r.skip(wire);
      continue;
    }
    if (field.inline) {
      if (wire !== WIRE_LEN) throw new ProtobufError(`field ${field.name} (${number}) of ${name} has wire type ${wire}, expected 2`);
      decodeInto(target, field.type, r.lengthDelimited(), depth + 1);
      continue;
    }
    const json = field.json;
    if (json === undefined) {
      r.skip(wire);
      continue;
    }
    if (field.mapKey) {
      if (wire !== WIRE_LEN) throw new ProtobufError(`map field ${field.name} (${number}) of ${name} has wire type ${wire}`);
      const [key, value] = readMapEntry(name, field, r.lengthDelimited(), depth);
      const map = isPlainObject(target[json]) ? (target[json] as Record<string, unknown>) : {};
      // defineProperty, so that a key such as "__proto__" stays a key, as JSON.parse keeps it.
      Object.defineProperty(map, key, { value: jsonOf(value), enumerable: true, writable: true, configurable: true });
      target[json] = map;
    } else if (field.repeated) {
      const list = Array.isArray(target[json]) ? (target[json] as unknown[]) : [];
      for (const value of readValues(name, field, wire, r, depth)) list.push(jsonOf(value));
      target[json] = list;
    } else if (!isScalar(field.type) && !messageOf(field.type).special && wire === WIRE_LEN) {
      // A message field seen twice merges, as in Go's unmarshallers.
      const existing = isPlainObject(target[json]) ? (target[json] as Record<string, unknown>) : {};
      decodeInto(existing, field.type, r.lengthDelimited(), depth + 1);
      target[json] = existing;
    } else {
      const value = readValues(name, field, wire, r, depth)[0];
      const dropped = value === OMIT || (isScalar(field.type) && !field.pointer && field.omitEmpty && isZero(value));
      if (dropped) delete target[json];
      else target[json] = jsonOf(value);
    }
  }
}

/** decodeByNumber reads a special message's fields keyed by number (last one wins; repeated gather). */
function decodeByNumber(name: string, bytes: Buffer, depth: number): Map<number, unknown> {
  if (depth > MAX_DEPTH) throw new ProtobufError(`objects nested deeper than ${MAX_DEPTH} levels`);
  const fields = fieldsOf(name);
  const out = new Map<number, unknown>();
  const r = new Reader(bytes);
  while (!r.done()) {
    const tag = r.uint32();
    const number = tag >>> 3;
    const wire = tag & 7;
    if (number === 0) throw new ProtobufError(`field number 0 in ${name}`);
    const field = fields.get(number);
    if (!field) {
      r.skip(wire);
      continue;
    }
    const values = readValues(name, field, wire, r, depth);
    if (field.repeated) out.set(number, [...((out.get(number) as unknown[] | undefined) ?? []), ...values]);
    else out.set(number, values[0]);
  }
  return out;
}

/** decodeSpecial converts a custom-marshalled message into its JSON value, as Go's MarshalJSON would. */
function decodeSpecial(special: ProtobufSpecial, name: string, bytes: Buffer, depth: number): unknown {
  const f = decodeByNumber(name, bytes, depth);
  switch (special) {
    case 'Quantity':
      return (f.get(1) as string | undefined) || '0';
    case 'IntOrString': {
      const type = (f.get(1) as number | undefined) ?? 0;
      if (type === 0) return (f.get(2) as number | undefined) ?? 0;
      if (type === 1) return (f.get(3) as string | undefined) ?? '';
      throw new ProtobufError(`IntOrString has type ${type}, neither 0 (int) nor 1 (string)`);
    }
    case 'Time':
    case 'MicroTime': {
      if (bytes.length === 0) return OMIT;
      const seconds = (f.get(1) as number | undefined) ?? 0;
      if (seconds === ZERO_TIME_SECONDS) return OMIT;
      // metav1.Time drops nanos on decode; MicroTime keeps microseconds.
      const nanos = (f.get(2) as number | undefined) ?? 0;
      if (nanos < 0 || nanos > 999999999) throw new ProtobufError(`a timestamp has ${nanos} nanoseconds, outside 0 to 999999999`);
      const micros = special === 'MicroTime' ? Math.floor(nanos / 1000) : undefined;
      return formatTime(seconds, micros);
    }
    case 'RawJSON': {
      const raw = f.get(1) as Buffer | undefined;
      if (!raw || raw.length === 0) return OMIT;
      if (raw.length >= 4 && raw.subarray(0, 4).equals(PROTOBUF_MAGIC)) return decodeEnvelope(raw, undefined, depth + 1);
      try {
        // The embedded JSON nests under this message: it gets what is left of the depth budget.
        scanJson(raw, MAX_NESTING_DEPTH - depth);
        return JSON.parse(raw.toString('utf8'));
      } catch (err) {
        throw new ProtobufError(`embedded JSON in ${name} does not parse: ${(err as Error).message}`);
      }
    }
    case 'StringList':
      return (f.get(1) as string[] | undefined) ?? [];
    case 'JSONSchemaPropsOrArray': {
      const schemas = (f.get(2) as unknown[] | undefined) ?? [];
      if (schemas.length > 0) return schemas;
      return f.get(1) ?? OMIT;
    }
    case 'JSONSchemaPropsOrBool':
      return f.get(2) ?? (f.get(1) as boolean | undefined) ?? false;
    case 'JSONSchemaPropsOrStringArray': {
      const property = (f.get(2) as string[] | undefined) ?? [];
      if (property.length > 0) return property;
      return f.get(1) ?? OMIT;
    }
  }
}

/** decodeEnvelope reads `k8s\0` + runtime.Unknown and decodes the object it carries. */
function decodeEnvelope(body: Buffer, definitionName: string | undefined, depth: number): Record<string, unknown> {
  if (body.length < PROTOBUF_MAGIC.length || !body.subarray(0, PROTOBUF_MAGIC.length).equals(PROTOBUF_MAGIC)) {
    throw new ProtobufError('the body does not start with the Kubernetes protobuf prefix "k8s\\x00"');
  }
  const unknown = decodeByNumber(UNKNOWN, body.subarray(PROTOBUF_MAGIC.length), depth);
  const typeMeta = (unknown.get(1) ?? {}) as { apiVersion?: string; kind?: string };
  const contentEncoding = unknown.get(3) as string | undefined;
  if (contentEncoding) throw new ProtobufError(`unsupported protobuf content encoding ${JSON.stringify(contentEncoding)}`);
  const apiVersion = typeMeta.apiVersion ?? '';
  const kind = typeMeta.kind ?? '';
  let name = definitionName;
  if (name === undefined) {
    if (!apiVersion || !kind) throw new ProtobufError('the protobuf envelope names no apiVersion and kind');
    name = definitionNameForApiVersion(apiVersion, kind);
  }
  if (!hasProtobufMessage(name)) throw new ProtobufUnsupportedKindError(`no protobuf message is known for ${name}`);
  const out: Record<string, unknown> = {};
  if (apiVersion) out.apiVersion = apiVersion;
  if (kind) out.kind = kind;
  decodeInto(out, name, (unknown.get(2) as Buffer | undefined) ?? Buffer.alloc(0), depth + 1);
  return out;
}

/** definitionNameForApiVersion maps apiVersion and kind to a definition name, or throws ProtobufError. */
function definitionNameForApiVersion(apiVersion: string, kind: string): string {
  const slash = apiVersion.indexOf('/');
  const group = slash < 0 ? '' : apiVersion.slice(0, slash);
  const version = apiVersion.slice(slash + 1);
  const name = definitionNameFor(group, version, kind);
  if (!name) throw new ProtobufUnsupportedKindError(`${apiVersion}, Kind=${kind} has no protobuf form: only built-in kinds do`);
  return name;
}

/**
 * decodeProtobufObject decodes a `k8s\0`-prefixed body into the object's Kubernetes JSON form,
 * apiVersion and kind first (from the envelope's typeMeta). The message is found from
 * apiVersion/kind unless definitionName names it. Throws ProtobufError for malformed bytes, a
 * wire type that contradicts the field table; ProtobufUnsupportedKindError (a ProtobufError) for
 * a kind with no protobuf form, such as a custom resource.
 */
export function decodeProtobufObject(body: Buffer, definitionName?: string): Record<string, unknown> {
  return decodeEnvelope(body, definitionName, 0);
}

// ---------------------------------------------------------------------------------------------
// Writing

/** Writer gathers protobuf bytes; length-delimited parts are encoded first and appended whole. */
class Writer {
  private readonly parts: Buffer[] = [];
  private head: number[] = [];

  private flush(): void {
    if (this.head.length > 0) {
      this.parts.push(Buffer.from(this.head));
      this.head = [];
    }
  }

  /** varint writes a non-negative number, or a negative one as its 64-bit two's complement. */
  varint(value: number | bigint): void {
    if (typeof value === 'number' && value >= 0 && value <= 0xffffffff) {
      let v = value;
      while (v > 0x7f) {
        this.head.push((v & 0x7f) | 0x80);
        v = Math.floor(v / 128);
      }
      this.head.push(v);
      return;
    }
    let v = BigInt.asUintN(64, BigInt(value));
    while (v > 0x7fn) {
      this.head.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.head.push(Number(v));
  }

  tag(number: number, wire: number): void {
    this.varint(number * 8 + wire);
  }

  bytes(number: number, value: Buffer): void {
    this.tag(number, WIRE_LEN);
    this.varint(value.length);
    this.flush();
    this.parts.push(value);
  }

  double(number: number, value: number): void {
    this.tag(number, WIRE_FIXED64);
    const b = Buffer.alloc(8);
    b.writeDoubleLE(value, 0);
    this.flush();
    this.parts.push(b);
  }

  finish(): Buffer {
    this.flush();
    return this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts);
  }
}

/** Encoding carries the options and depth through the recursive encoder. */
interface Encoding {
  zeroValues: boolean;
  depth: number;
}

function typeError(at: string, what: string, value: unknown): ProtobufError {
  return new ProtobufError(`${at || '<root>'}: expected ${what}, got ${JSON.stringify(value) ?? typeof value}`);
}

/** writeScalar writes one scalar field, checking the JSON value's type. */
function writeScalar(w: Writer, number: number, type: ProtobufScalar, value: unknown, at: string): void {
  switch (type) {
    case 'string':
      if (typeof value !== 'string') throw typeError(at, 'a string', value);
      return w.bytes(number, Buffer.from(value, 'utf8'));
    case 'bytes':
      if (Buffer.isBuffer(value)) return w.bytes(number, value);
      if (typeof value !== 'string') throw typeError(at, 'a base64 string', value);
      return w.bytes(number, Buffer.from(value, 'base64'));
    case 'int32':
      if (!Number.isInteger(value) || (value as number) < -2147483648 || (value as number) > 2147483647) throw typeError(at, 'a 32-bit integer', value);
      w.tag(number, WIRE_VARINT);
      return w.varint(value as number);
    case 'int64':
      if (!Number.isInteger(value)) throw typeError(at, 'an integer', value);
      w.tag(number, WIRE_VARINT);
      return w.varint(value as number);
    case 'bool':
      if (typeof value !== 'boolean') throw typeError(at, 'a boolean', value);
      w.tag(number, WIRE_VARINT);
      return w.varint(value ? 1 : 0);
    case 'double':
      if (typeof value !== 'number' || !Number.isFinite(value)) throw typeError(at, 'a number', value);
      return w.double(number, value);
  }
}

/** writeValue writes one value of a field's type (scalar or message) under number. */
function writeValue(w: Writer, number: number, type: string, value: unknown, at: string, enc: Encoding): void {
  if (isScalar(type)) return writeScalar(w, number, type, value, at);
  w.bytes(number, encodeMessageValue(type, value, at, enc));
}

/** encodeMessageValue encodes a JSON value as the bytes of message `name`. */
function encodeMessageValue(name: string, value: unknown, at: string, enc: Encoding): Buffer {
  if (enc.depth >= MAX_DEPTH) throw new ProtobufError(`${at}: objects nested deeper than ${MAX_DEPTH} levels`);
  const inner = { ...enc, depth: enc.depth + 1 };
  const special = messageOf(name).special;
  if (special) return encodeSpecial(special, name, value, at, inner);
  if (value === undefined || value === null) value = {};
  if (!isPlainObject(value)) throw typeError(at, 'an object', value);
  return encodeFields(name, value, at, inner);
}

/** fieldPath joins a JSON path for error messages. */
function fieldPath(at: string, key: string | number): string {
  if (typeof key === 'number') return `${at}[${key}]`;
  return at ? `${at}.${key}` : key;
}

/** encodeFields writes a plain message's fields from a JSON object, in field-number order. */
function encodeFields(name: string, obj: Record<string, unknown>, at: string, enc: Encoding): Buffer {
  const w = new Writer();
  for (const field of fieldsInWireOrder(name)) {
    if (field.inline) {
      const inner = encodeMessageValue(field.type, obj, at, enc);
      if (inner.length > 0 || enc.zeroValues) w.bytes(field.number, inner);
      continue;
    }
    if (field.json === undefined) continue;
    const value = obj[field.json];
    const here = fieldPath(at, field.json);
    if (value === undefined || value === null) {
      if (enc.zeroValues && !field.pointer && !field.repeated && !field.mapKey) writeZero(w, field, here, enc);
      continue;
    }
    if (field.mapKey) {
      if (!isPlainObject(value)) throw typeError(here, 'an object', value);
      // Go's marshallers sort map keys bytewise; doing the same keeps the bytes identical.
      const keys = Object.keys(value).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
      for (const key of keys) {
        const entry = new Writer();
        writeScalar(entry, 1, field.mapKey, key, here);
        const item = value[key];
        if (item !== null && item !== undefined) writeValue(entry, 2, field.type, item, fieldPath(here, key), enc);
        else if (!isScalar(field.type)) entry.bytes(2, encodeMessageValue(field.type, undefined, fieldPath(here, key), enc));
        w.bytes(field.number, entry.finish());
      }
    } else if (field.repeated) {
      if (!Array.isArray(value)) throw typeError(here, 'an array', value);
      value.forEach((item, i) => {
        if (item === null && isScalar(field.type)) writeScalar(w, field.number, field.type, zeroOf(field.type), fieldPath(here, i));
        else writeValue(w, field.number, field.type, item, fieldPath(here, i), enc);
      });
    } else {
      writeValue(w, field.number, field.type, value, here, enc);
    }
  }
  return w.finish();
}

/** writeZero writes an absent non-pointer field the way Go's generated marshaller does. */
function writeZero(w: Writer, field: ProtobufField, at: string, enc: Encoding): void {
  // Go writes a nil []byte not at all, and every other non-pointer field always.
  if (field.type === 'bytes') return;
  if (isScalar(field.type)) return writeScalar(w, field.number, field.type, zeroOf(field.type), at);
  w.bytes(field.number, encodeMessageValue(field.type, undefined, at, enc));
}

/** encodeSpecial encodes the JSON value of a custom-marshalled message; undefined is Go's zero value. */
function encodeSpecial(special: ProtobufSpecial, name: string, value: unknown, at: string, enc: Encoding): Buffer {
  const w = new Writer();
  switch (special) {
    case 'Quantity':
      if (value === undefined || value === null) value = '0';
      if (typeof value !== 'string' && typeof value !== 'number') throw typeError(at, 'a quantity', value);
      w.bytes(1, Buffer.from(String(value), 'utf8'));
      break;
    case 'IntOrString':
      if (value === undefined || value === null) value = 0;
      if (typeof value === 'number') {
        if (!Number.isInteger(value) || value < -2147483648 || value > 2147483647) throw typeError(at, 'a 32-bit integer or a string', value);
        w.tag(1, WIRE_VARINT);
        w.varint(0);
        w.tag(2, WIRE_VARINT);
        w.varint(value);
        w.bytes(3, Buffer.alloc(0));
      } else if (typeof value === 'string') {
        w.tag(1, WIRE_VARINT);
        w.varint(1);
        w.tag(2, WIRE_VARINT);
        w.varint(0);
        w.bytes(3, Buffer.from(value, 'utf8'));
      } else {
        throw typeError(at, 'an integer or a string', value);
      }
      break;
    case 'Time':
    case 'MicroTime': {
      // Go writes a zero time as an empty message.
      if (value === undefined || value === null) break;
      if (typeof value !== 'string') throw typeError(at, 'an RFC 3339 time', value);
      const { seconds, nanos } = parseTime(value, at);
      w.tag(1, WIRE_VARINT);
      w.varint(seconds);
      w.tag(2, WIRE_VARINT);
      w.varint(special === 'MicroTime' ? nanos - (nanos % 1000) : 0);
      break;
    }
    case 'RawJSON':
      if (value !== undefined) w.bytes(1, Buffer.from(JSON.stringify(value), 'utf8'));
      break;
    case 'StringList':
      if (value === undefined || value === null) break;
      if (!Array.isArray(value)) throw typeError(at, 'an array of strings', value);
      value.forEach((item, i) => writeScalar(w, 1, 'string', item, fieldPath(at, i)));
      break;
    case 'JSONSchemaPropsOrArray':
    case 'JSONSchemaPropsOrStringArray': {
      if (value === undefined || value === null) break;
      const schema = fieldsOf(name).get(1)!.type;
      if (Array.isArray(value)) {
        const itemType = fieldsOf(name).get(2)!.type;
        value.forEach((item, i) => writeValue(w, 2, itemType, item, fieldPath(at, i), enc));
      } else {
        writeValue(w, 1, schema, value, at, enc);
      }
      break;
    }
    case 'JSONSchemaPropsOrBool': {
      if (value === undefined || value === null) break;
      // Go's UnmarshalJSON sets Allows for a schema too: a schema allows what it describes.
      w.tag(1, WIRE_VARINT);
      if (typeof value === 'boolean') {
        w.varint(value ? 1 : 0);
      } else {
        w.varint(1);
        writeValue(w, 2, fieldsOf(name).get(2)!.type, value, at, enc);
      }
      break;
    }
  }
  return w.finish();
}

/**
 * encodeProtobufObject encodes an object in its Kubernetes JSON form as a `k8s\0`-prefixed
 * protobuf body, the reverse of decodeProtobufObject. apiVersion and kind go into the
 * envelope; the message is found from them unless definitionName names it. Fields the table
 * does not know are dropped. Throws ProtobufError for a value of the wrong JSON type.
 */
export function encodeProtobufObject(obj: Record<string, unknown>, definitionName?: string, options: EncodeOptions = {}): Buffer {
  const apiVersion = typeof obj.apiVersion === 'string' ? obj.apiVersion : '';
  const kind = typeof obj.kind === 'string' ? obj.kind : '';
  const name = definitionName ?? definitionNameForApiVersion(apiVersion, kind);
  if (!hasProtobufMessage(name)) throw new ProtobufUnsupportedKindError(`no protobuf message is known for ${name}`);
  const raw = encodeFields(name, obj, '', { zeroValues: options.emitZeroValues ?? false, depth: 1 });
  const typeMeta = new Writer();
  typeMeta.bytes(1, Buffer.from(apiVersion, 'utf8'));
  typeMeta.bytes(2, Buffer.from(kind, 'utf8'));
  const envelope = new Writer();
  envelope.bytes(1, typeMeta.finish());
  envelope.bytes(2, raw);
  // contentEncoding and contentType: empty, as kube's protobuf serializer writes them.
  envelope.bytes(3, Buffer.alloc(0));
  envelope.bytes(4, Buffer.alloc(0));
  return Buffer.concat([PROTOBUF_MAGIC, envelope.finish()]);
}

// ---------------------------------------------------------------------------------------------
// Time text, as Go's time package writes and reads it

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/;

/** parseTime reads RFC 3339 text into Unix seconds and nanoseconds. */
function parseTime(text: string, at: string): { seconds: number; nanos: number } {
  const m = RFC3339.exec(text);
  if (!m) throw typeError(at, 'an RFC 3339 time', text);
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, 0);
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) {
    throw typeError(at, 'a valid RFC 3339 time', text);
  }
  const offset = m[8] ? (m[8] === '-' ? -1 : 1) * (Number(m[9]) * 3600 + Number(m[10]) * 60) : 0;
  const nanos = m[7] ? Number(m[7].slice(1, 10).padEnd(9, '0')) : 0;
  return { seconds: date.getTime() / 1000 - offset, nanos };
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** formatTime writes Unix seconds as RFC 3339 UTC, with six fraction digits when micros is given. */
function formatTime(seconds: number, micros?: number): string {
  const date = new Date(seconds * 1000);
  const year = date.getUTCFullYear();
  if (Number.isNaN(date.getTime()) || year < 0 || year > 9999) throw new ProtobufError(`time ${seconds}s is outside the years 0 to 9999`);
  const fraction = micros === undefined ? '' : `.${pad(micros, 6)}`;
  return `${pad(year, 4)}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}T${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}${fraction}Z`;
}
