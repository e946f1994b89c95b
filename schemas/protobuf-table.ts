/**
 * The layout of the protobuf wire form of every built-in type (schemas/generated/protobuf-fields.json),
 * as the protobuf codec reads it and the development-only generator writes it.
 */
/** ProtobufScalar is a protobuf scalar wire kind used by Kubernetes types. */
export type ProtobufScalar = 'string' | 'bytes' | 'int32' | 'int64' | 'bool' | 'double';

/**
 * ProtobufSpecial names a message whose JSON form is not an object of its fields: the custom
 * marshallers of apimachinery and apiextensions. The codec handles each one by name.
 */
export type ProtobufSpecial =
  | 'Quantity' // {1: string} <-> "500m"
  | 'IntOrString' // {1: type, 2: intVal, 3: strVal} <-> 8080 | "http"
  | 'Time' // {1: seconds, 2: nanos} <-> RFC 3339, second precision, zero omitted
  | 'MicroTime' // likewise with six fraction digits
  | 'RawJSON' // {1: raw JSON bytes} <-> any JSON value (RawExtension, FieldsV1, apiextensions JSON)
  | 'StringList' // {repeated string items = 1} <-> ["a", "b"] (ExtraValue, Verbs)
  | 'JSONSchemaPropsOrArray' // {1: schema, 2: repeated schemas} <-> object | array
  | 'JSONSchemaPropsOrBool' // {1: allows, 2: schema} <-> boolean | object
  | 'JSONSchemaPropsOrStringArray'; // {1: schema, 2: repeated property} <-> object | string[]

/** ProtobufField is one field of one message, as the codec needs it. */
export interface ProtobufField {
  number: number;
  /** the proto field name (the JSON name where JSON allows it, else the Go name in lowerCamel) */
  name: string;
  /** the JSON property name; absent for inlined fields and for fields Go never renders in JSON */
  json?: string;
  /** a ProtobufScalar, or the definition name of a message type (the value type for maps) */
  type: string;
  repeated?: true;
  /** set for map<mapKey, type> fields (repeated {1: key, 2: value} entries on the wire) */
  mapKey?: ProtobufScalar;
  /** the Go field is an embedded struct with `json:",inline"`: its fields sit in the parent */
  inline?: true;
  /** the Go field is a pointer: present on the wire only when set, so a zero value is kept */
  pointer?: true;
  /** the Go JSON tag says omitempty: a decoded zero scalar of a non-pointer field is dropped */
  omitEmpty?: true;
}

/** ProtobufMessage is the layout of one message. */
export interface ProtobufMessage {
  fields: ProtobufField[];
  special?: ProtobufSpecial;
}

/** ProtobufTable is the content of protobuf-fields.json. */
export interface ProtobufTable {
  /** the Kubernetes release whose generated.proto files the table was derived from */
  kubernetesVersion: string;
  messages: Record<string, ProtobufMessage>;
}
