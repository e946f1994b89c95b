/**
 * /openapi/v2 as protobuf: the gnostic openapi_v2.Document message
 * (github.com/google/gnostic-models, openapiv2/OpenAPIv2.proto) that kube-apiserver serves for
 * `Accept: application/com.github.proto-openapi.spec.v2@v1.0+protobuf`. kubectl downloads it to
 * validate manifests client-side when server-side field validation cannot be used for a kind:
 * every `kind: List` and every kind the OpenAPI v3 documents do not name.
 *
 * kube builds it by parsing its JSON document with gnostic's compiler, so the encoder here
 * follows gnostic's mapping of Swagger 2.0 onto the messages: fields by name, `x-*` keys as
 * NamedAny vendor extensions whose value is the YAML text of the JSON value (JSON is YAML), a
 * parameter by its `in`, and proto3's rule that zero values (empty strings, false, 0) are not
 * written. Only the parts of Swagger 2.0 that nodeless documents use are mapped; anything else
 * is left out.
 */

type Json = Record<string, unknown>;

/** OPENAPI_V2_PROTOBUF is the media type kubectl asks for (kube-openapi also accepts its successor below). */
export const OPENAPI_V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';

/** OPENAPI_V2_PROTOBUF_CONTENT_TYPE is the Content-Type kube-openapi answers protobuf with. */
export const OPENAPI_V2_PROTOBUF_CONTENT_TYPE = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';

/** Message accumulates one protobuf message's encoded fields. */
class Message {
  private readonly parts: Buffer[] = [];

  private varint(value: number): void {
    const bytes: number[] = [];
    let v = BigInt.asUintN(64, BigInt(Math.trunc(value)));
    do {
      let b = Number(v & 0x7fn);
      v >>= 7n;
      if (v !== 0n) b |= 0x80;
      bytes.push(b);
    } while (v !== 0n);
    this.parts.push(Buffer.from(bytes));
  }

  private key(field: number, wire: number): void {
    this.varint(field * 8 + wire);
  }

  /** bytes writes a length-delimited field (string, bytes or embedded message). */
  bytes(field: number, value: Buffer): this {
    this.key(field, 2);
    this.varint(value.length);
    this.parts.push(value);
    return this;
  }

  /** string writes a non-empty string. */
  string(field: number, value: unknown): this {
    if (typeof value === 'string' && value !== '') this.bytes(field, Buffer.from(value, 'utf8'));
    return this;
  }

  /** strings writes each string of a list. */
  strings(field: number, value: unknown): this {
    if (Array.isArray(value)) for (const v of value) if (typeof v === 'string') this.bytes(field, Buffer.from(v, 'utf8'));
    return this;
  }

  /** bool writes true (false is proto3's default and is not written). */
  bool(field: number, value: unknown): this {
    if (value === true) {
      this.key(field, 0);
      this.varint(1);
    }
    return this;
  }

  /** oneofBool writes a bool that is a oneof member: it is written even when false. */
  oneofBool(field: number, value: boolean): this {
    this.key(field, 0);
    this.varint(value ? 1 : 0);
    return this;
  }

  /** int64 writes a non-zero integer. */
  int64(field: number, value: unknown): this {
    if (typeof value === 'number' && value !== 0) {
      this.key(field, 0);
      this.varint(value);
    }
    return this;
  }

  /** double writes a non-zero number. */
  double(field: number, value: unknown): this {
    if (typeof value === 'number' && value !== 0) {
      this.key(field, 1);
      const b = Buffer.alloc(8);
      b.writeDoubleLE(value);
      this.parts.push(b);
    }
    return this;
  }

  /** message writes an embedded message, even an empty one (its presence can matter). */
  message(field: number, value: Message | undefined): this {
    if (value) this.bytes(field, value.finish());
    return this;
  }

  /** messages writes each message of a list. */
  messages(field: number, values: Array<Message | undefined>): this {
    for (const v of values) this.message(field, v);
    return this;
  }

  finish(): Buffer {
    return Buffer.concat(this.parts);
  }
}

function isObject(v: unknown): v is Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function entries(v: unknown): Array<[string, unknown]> {
  return isObject(v) ? Object.entries(v) : [];
}

/** any is gnostic's Any {2: yaml}: the value as YAML text, here its JSON rendering. */
function any(value: unknown): Message {
  return new Message().string(2, `${JSON.stringify(value)}\n`);
}

/** vendorExtensions are the x-* keys of an object as NamedAny {1: name, 2: value}. */
function vendorExtensions(obj: Json): Message[] {
  return Object.entries(obj)
    .filter(([k]) => k.startsWith('x-'))
    .map(([k, v]) => new Message().string(1, k).message(2, any(v)));
}

/** schema encodes a Schema object. */
function schema(s: Json): Message {
  const m = new Message()
    .string(1, s.$ref)
    .string(2, s.format)
    .string(3, s.title)
    .string(4, s.description);
  if (s.default !== undefined) m.message(5, any(s.default));
  m.double(6, s.multipleOf)
    .double(7, s.maximum)
    .bool(8, s.exclusiveMaximum)
    .double(9, s.minimum)
    .bool(10, s.exclusiveMinimum)
    .int64(11, s.maxLength)
    .int64(12, s.minLength)
    .string(13, s.pattern)
    .int64(14, s.maxItems)
    .int64(15, s.minItems)
    .bool(16, s.uniqueItems)
    .int64(17, s.maxProperties)
    .int64(18, s.minProperties)
    .strings(19, s.required);
  if (Array.isArray(s.enum)) m.messages(20, s.enum.map(any));
  if (isObject(s.additionalProperties)) m.message(21, new Message().message(1, schema(s.additionalProperties)));
  else if (typeof s.additionalProperties === 'boolean') m.message(21, new Message().oneofBool(2, s.additionalProperties));
  if (typeof s.type === 'string') m.message(22, new Message().string(1, s.type));
  else if (Array.isArray(s.type)) m.message(22, new Message().strings(1, s.type));
  if (isObject(s.items)) m.message(23, new Message().message(1, schema(s.items)));
  else if (Array.isArray(s.items)) m.message(23, new Message().messages(1, s.items.filter(isObject).map(schema)));
  if (Array.isArray(s.allOf)) m.messages(24, s.allOf.filter(isObject).map(schema));
  if (isObject(s.properties)) {
    m.message(25, new Message().messages(1, entries(s.properties).filter(([, v]) => isObject(v)).map(([k, v]) => new Message().string(1, k).message(2, schema(v as Json)))));
  }
  m.string(26, s.discriminator).bool(27, s.readOnly);
  if (s.example !== undefined) m.message(30, any(s.example));
  return m.messages(31, vendorExtensions(s));
}

// Field numbers of the non-body parameter sub-schemas after `name` (4): query and formData
// have allowEmptyValue (5) and so number the rest one higher than header and path.
const SUBSCHEMA: Record<string, { field: number; shift: number }> = {
  header: { field: 1, shift: 0 },
  formData: { field: 2, shift: 1 },
  query: { field: 3, shift: 1 },
  path: { field: 4, shift: 0 },
};

/** parameter encodes a ParametersItem: a reference {2: JsonReference} or a parameter {1: Parameter}. */
function parameter(p: Json): Message {
  if (typeof p.$ref === 'string') return new Message().message(2, new Message().string(1, p.$ref).string(2, p.description));
  return new Message().message(1, parameterValue(p));
}

/** parameterValue encodes a Parameter: {1: BodyParameter} or {2: NonBodyParameter}. */
function parameterValue(p: Json): Message {
  if (p.in === 'body') {
    const body = new Message().string(1, p.description).string(2, p.name).string(3, p.in).bool(4, p.required);
    if (isObject(p.schema)) body.message(5, schema(p.schema));
    body.messages(6, vendorExtensions(p));
    return new Message().message(1, body);
  }
  const kind = SUBSCHEMA[String(p.in)] ?? SUBSCHEMA.query;
  const o = kind.shift;
  const sub = new Message().bool(1, p.required).string(2, p.in).string(3, p.description).string(4, p.name);
  if (o) sub.bool(5, p.allowEmptyValue);
  sub.string(5 + o, p.type).string(6 + o, p.format);
  if (isObject(p.items)) sub.message(7 + o, primitivesItems(p.items));
  sub.string(8 + o, p.collectionFormat);
  if (p.default !== undefined) sub.message(9 + o, any(p.default));
  sub.double(10 + o, p.maximum).bool(11 + o, p.exclusiveMaximum).double(12 + o, p.minimum).bool(13 + o, p.exclusiveMinimum)
    .int64(14 + o, p.maxLength).int64(15 + o, p.minLength).string(16 + o, p.pattern).int64(17 + o, p.maxItems).int64(18 + o, p.minItems)
    .bool(19 + o, p.uniqueItems);
  if (Array.isArray(p.enum)) sub.messages(20 + o, p.enum.map(any));
  sub.double(21 + o, p.multipleOf).messages(22 + o, vendorExtensions(p));
  return new Message().message(2, new Message().message(kind.field, sub));
}

/** primitivesItems encodes the items of a non-body array parameter. */
function primitivesItems(p: Json): Message {
  const m = new Message().string(1, p.type).string(2, p.format);
  if (isObject(p.items)) m.message(3, primitivesItems(p.items));
  return m.string(4, p.collectionFormat).messages(18, vendorExtensions(p));
}

/** response encodes a ResponseValue: a reference or a Response. */
function response(r: Json): Message {
  if (typeof r.$ref === 'string') return new Message().message(2, new Message().string(1, r.$ref).string(2, r.description));
  const m = new Message().string(1, r.description);
  if (isObject(r.schema)) m.message(2, new Message().message(1, schema(r.schema)));
  return new Message().message(1, m.messages(5, vendorExtensions(r)));
}

const OPERATIONS: Array<[string, number]> = [['get', 2], ['put', 3], ['post', 4], ['delete', 5], ['options', 6], ['head', 7], ['patch', 8]];

/** operation encodes an Operation. */
function operation(op: Json): Message {
  const m = new Message().strings(1, op.tags).string(2, op.summary).string(3, op.description).string(5, op.operationId).strings(6, op.produces).strings(7, op.consumes);
  if (Array.isArray(op.parameters)) m.messages(8, op.parameters.filter(isObject).map(parameter));
  if (isObject(op.responses)) {
    const responses = new Message();
    for (const [code, r] of entries(op.responses)) {
      if (code.startsWith('x-')) continue;
      if (isObject(r)) responses.message(1, new Message().string(1, code).message(2, response(r)));
    }
    m.message(9, responses.messages(2, vendorExtensions(op.responses)));
  }
  return m.strings(10, op.schemes).bool(11, op.deprecated).messages(13, vendorExtensions(op));
}

/** pathItem encodes a PathItem. */
function pathItem(item: Json): Message {
  const m = new Message().string(1, item.$ref);
  for (const [verb, field] of OPERATIONS) if (isObject(item[verb])) m.message(field, operation(item[verb] as Json));
  if (Array.isArray(item.parameters)) m.messages(9, item.parameters.filter(isObject).map(parameter));
  return m.messages(10, vendorExtensions(item));
}

/** encodeOpenAPIV2 encodes a Swagger 2.0 document (as JSON) as the gnostic openapi_v2.Document message. */
export function encodeOpenAPIV2(doc: Json): Buffer {
  const m = new Message().string(1, doc.swagger);
  if (isObject(doc.info)) {
    const info = doc.info;
    m.message(2, new Message().string(1, info.title).string(2, info.version).string(3, info.description).string(4, info.termsOfService).messages(7, vendorExtensions(info)));
  }
  m.string(3, doc.host).string(4, doc.basePath).strings(5, doc.schemes).strings(6, doc.consumes).strings(7, doc.produces);
  if (isObject(doc.paths)) {
    const paths = new Message().messages(1, vendorExtensions(doc.paths));
    for (const [p, item] of entries(doc.paths)) if (!p.startsWith('x-') && isObject(item)) paths.message(2, new Message().string(1, p).message(2, pathItem(item)));
    m.message(8, paths);
  }
  if (isObject(doc.definitions)) {
    m.message(9, new Message().messages(1, entries(doc.definitions).filter(([, v]) => isObject(v)).map(([name, s]) => new Message().string(1, name).message(2, schema(s as Json)))));
  }
  return m.messages(16, vendorExtensions(doc)).finish();
}
