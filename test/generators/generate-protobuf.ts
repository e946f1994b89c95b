/**
 * generate-protobuf writes schemas/generated/protobuf-fields.json: the protobuf wire layout of
 * every built-in Kubernetes 1.32 type that kubectl and client-go may send as
 * `application/vnd.kubernetes.protobuf`, keyed by OpenAPI definition name
 * (io.k8s.api.core.v1.ConfigMap, ...). For each message it lists each field's number, JSON
 * name, wire type, and the Go facts that decide how Go's encoding/json would render a decoded
 * value (pointer or not, omitempty, inlined). server/http/protobuf.ts reads the table.
 *
 * Input: a directory laid out by Go import path (k8s.io/api/core/v1/, k8s.io/apimachinery/pkg/
 * apis/meta/v1/, k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1/, k8s.io/kube-aggregator/
 * pkg/apis/apiregistration/v1/, ...), one folder per API group version that BUILTIN_KINDS
 * serves plus apimachinery's pkg/apis/meta/v1, pkg/api/resource, pkg/util/intstr and
 * pkg/runtime. Each folder holds that package's generated.proto and the .go files that declare
 * its structs (types.go and, for apimachinery, the files with `protobuf:"..."` struct tags), all
 * from one release tag (v0.32.x of k8s.io/api, k8s.io/apimachinery, k8s.io/apiextensions-apiserver
 * and k8s.io/kube-aggregator). The proto
 * gives numbers and wire types; the Go struct tags give JSON names, omitempty, inlining and
 * pointer-ness, which the proto text has lost; definitions.json is used to check the JSON names.
 * The fetched sources are not part of the repository; only the derived table is.
 *
 * Run (dev only):
 *   npx tsc -p . && node dist/test/generators/generate-protobuf.js /tmp/k8s-proto v1.32.13
 */
import * as fs from 'fs';
import * as path from 'path';
import { BUILTIN_KINDS } from '../../schemas/builtin-kinds';
import type { ProtobufField, ProtobufMessage, ProtobufScalar, ProtobufSpecial, ProtobufTable } from '../../schemas/protobuf-table';

const SCALARS = new Set<string>(['string', 'bytes', 'int32', 'int64', 'bool', 'double']);
const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
const APIEXTENSIONS = 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1';

// Messages with custom JSON marshalling in Go (MarshalJSON/UnmarshalJSON on the type).
const SPECIALS: Record<string, ProtobufSpecial> = {
  'io.k8s.apimachinery.pkg.api.resource.Quantity': 'Quantity',
  'io.k8s.apimachinery.pkg.util.intstr.IntOrString': 'IntOrString',
  [`${META}.Time`]: 'Time',
  [`${META}.MicroTime`]: 'MicroTime',
  [`${META}.FieldsV1`]: 'RawJSON',
  'io.k8s.apimachinery.pkg.runtime.RawExtension': 'RawJSON',
  [`${APIEXTENSIONS}.JSON`]: 'RawJSON',
  [`${APIEXTENSIONS}.JSONSchemaPropsOrArray`]: 'JSONSchemaPropsOrArray',
  [`${APIEXTENSIONS}.JSONSchemaPropsOrBool`]: 'JSONSchemaPropsOrBool',
  [`${APIEXTENSIONS}.JSONSchemaPropsOrStringArray`]: 'JSONSchemaPropsOrStringArray',
};

// Kinds that are request or response bodies without being storage resources: subresource
// bodies (deployments/scale, pods/eviction, pods/binding, serviceaccounts/token, which
// `kubectl create token` posts) and the protobuf envelope itself.
const EXTRA_ROOTS = [
  'io.k8s.api.autoscaling.v1.Scale',
  'io.k8s.api.policy.v1.Eviction',
  'io.k8s.api.core.v1.Binding',
  'io.k8s.api.authentication.v1.TokenRequest',
  'io.k8s.apimachinery.pkg.runtime.Unknown',
];

// meta/v1 messages no built-in kind refers to and no request carries: Timestamp is Time's
// wire twin, and Duration only appears in apiserver configuration types.
const META_UNUSED = new Set([`${META}.Timestamp`, `${META}.Duration`]);

/** A message as read from proto text, before joining with Go. */
interface ProtoMessage {
  definition: string;
  goPackage: string;
  comment: string;
  fields: Array<{ label: string; type: string; mapKey?: string; name: string; number: number }>;
}

/** A struct field as read from Go source. */
interface GoField {
  goName: string;
  goType: string;
  json?: string;
  inline: boolean;
  omitEmpty: boolean;
  protoNumber?: number;
}

/** definitionPrefix turns a Go import path into the OpenAPI name prefix: k8s.io/api/core/v1 -> io.k8s.api.core.v1. */
function definitionPrefix(goPackage: string): string {
  const [domain, ...rest] = goPackage.split('/');
  return [...domain.split('.').reverse(), ...rest].join('.');
}

/** listFiles returns every file below dir whose name passes keep. */
function listFiles(dir: string, keep: (name: string) => boolean): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(full, keep));
    else if (keep(entry.name)) out.push(full);
  }
  return out.sort();
}

/** parseProto reads the messages of one generated.proto (proto2, flat, no enums or oneofs). */
function parseProto(text: string, file: string): { protoPackage: string; goPackage: string; messages: ProtoMessage[] } {
  const protoPackage = /^package ([\w.]+);/m.exec(text)?.[1];
  const goPackage = /^option go_package = "([^"]+)";/m.exec(text)?.[1];
  if (!protoPackage || !goPackage) throw new Error(`${file}: no package or go_package`);
  const messages: ProtoMessage[] = [];
  let comment: string[] = [];
  let current: ProtoMessage | undefined;
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed.startsWith('//')) {
      if (!current) comment.push(trimmed.slice(2).trim());
      continue;
    }
    const start = /^message (\w+) \{$/.exec(trimmed);
    if (start) {
      current = { definition: `${definitionPrefix(goPackage)}.${start[1]}`, goPackage, comment: comment.join('\n'), fields: [] };
      comment = [];
      continue;
    }
    if (trimmed === '}' && current) {
      messages.push(current);
      current = undefined;
      continue;
    }
    if (!current) {
      if (trimmed === '') comment = [];
      continue;
    }
    if (trimmed === '') continue;
    const field = /^(optional|repeated|required)?\s*(?:map<\s*([\w.]+)\s*,\s*([\w.]+)\s*>|([\w.]+))\s+(\w+)\s*=\s*(\d+)\s*;$/.exec(trimmed);
    if (!field) throw new Error(`${file}: cannot read "${trimmed}" in message ${current.definition}`);
    const [, label = 'optional', mapKey, mapValue, plain, name, number] = field;
    current.fields.push({ label: mapKey ? 'map' : label, type: mapValue ?? plain, mapKey, name, number: Number(number) });
  }
  return { protoPackage, goPackage, messages };
}

/** parseGoStructs reads every `type X struct { ... }` of Go source text, keeping tagged fields. */
function parseGoStructs(text: string): Map<string, GoField[]> {
  const structs = new Map<string, GoField[]>();
  const structStart = /^type (\w+) struct \{\s*$/gm;
  for (let m = structStart.exec(text); m; m = structStart.exec(text)) {
    const end = text.indexOf('\n}', m.index);
    const body = text.slice(m.index + m[0].length, end);
    const fields: GoField[] = [];
    for (const rawLine of body.split('\n')) {
      const line = rawLine.trim();
      const tagged = /^([^`/]+?)\s*`([^`]*)`/.exec(line);
      if (!tagged) continue;
      const words = tagged[1].split(/\s+/);
      const goType = words[words.length - 1];
      const goName = words.length > 1 ? words[0] : goType.replace(/^\*/, '').split('.').pop()!;
      const tags = new Map<string, string>();
      for (const t of tagged[2].matchAll(/(\w+):"([^"]*)"/g)) tags.set(t[1], t[2]);
      const [jsonName, ...jsonOptions] = (tags.get('json') ?? goName).split(',');
      const proto = tags.get('protobuf');
      fields.push({
        goName,
        goType,
        // encoding/json: no tag means the Go name; "-" means never rendered
        json: jsonName === '-' ? undefined : jsonName === '' ? undefined : jsonName,
        inline: jsonOptions.includes('inline'),
        omitEmpty: jsonOptions.includes('omitempty'),
        protoNumber: proto && proto !== '-' ? Number(proto.split(',')[1]) : undefined,
      });
    }
    structs.set(m[1], fields);
  }
  return structs;
}

/** resolveType turns a proto type reference into a scalar name or a definition name. */
function resolveType(type: string, protoPackage: string, packages: Map<string, string>): string {
  if (SCALARS.has(type)) return type;
  const qualified = type.startsWith('.') ? type.slice(1) : `${protoPackage}.${type}`;
  const dot = qualified.lastIndexOf('.');
  const goPackage = packages.get(qualified.slice(0, dot));
  if (!goPackage) throw new Error(`unknown proto package in type ${type} (from ${protoPackage})`);
  return `${definitionPrefix(goPackage)}.${qualified.slice(dot + 1)}`;
}

/** buildTable joins proto messages with Go struct tags and keeps what the roots reach. */
export function buildTable(sourceDir: string, kubernetesVersion: string, definitions: Record<string, { properties?: Record<string, unknown> }>): { table: ProtobufTable; warnings: string[] } {
  const warnings: string[] = [];
  const packages = new Map<string, string>(); // proto package -> Go import path
  const protoMessages = new Map<string, { message: ProtoMessage; protoPackage: string }>();
  const goStructs = new Map<string, Map<string, GoField[]>>(); // Go import path -> structs
  for (const file of listFiles(sourceDir, (n) => n.endsWith('.proto'))) {
    const parsed = parseProto(fs.readFileSync(file, 'utf8'), file);
    packages.set(parsed.protoPackage, parsed.goPackage);
    for (const message of parsed.messages) protoMessages.set(message.definition, { message, protoPackage: parsed.protoPackage });
    const structs = new Map<string, GoField[]>();
    const dir = path.dirname(file);
    for (const goFile of fs.readdirSync(dir).filter((n) => n.endsWith('.go') && !n.endsWith('_test.go')).sort()) {
      for (const [name, fields] of parseGoStructs(fs.readFileSync(path.join(dir, goFile), 'utf8'))) structs.set(name, fields);
    }
    goStructs.set(parsed.goPackage, structs);
  }

  const messages: Record<string, ProtobufMessage> = {};
  const pending = [
    ...BUILTIN_KINDS.map((k) => k.definitionName),
    // Create-only kinds (TokenReview, SelfSubjectAccessReview, ...) have no list type.
    ...BUILTIN_KINDS.map((k) => k.definitionName.replace(/\.\w+$/, `.${k.listKind}`)).filter((d) => protoMessages.has(d)),
    ...[...protoMessages.keys()].filter((d) => d.startsWith(`${META}.`) && !META_UNUSED.has(d)),
    ...EXTRA_ROOTS,
  ];
  for (let name = pending.pop(); name !== undefined; name = pending.pop()) {
    if (messages[name]) continue;
    const found = protoMessages.get(name);
    if (!found) throw new Error(`no proto message for ${name}`);
    const { message, protoPackage } = found;
    const simpleName = name.slice(name.lastIndexOf('.') + 1);
    const goFields = goStructs.get(message.goPackage)?.get(simpleName);
    const special = SPECIALS[name] ?? (/\+protobuf\.nullable=true/.test(message.comment) ? 'StringList' : undefined);
    if (special === 'StringList' && (message.fields.length !== 1 || message.fields[0].type !== 'string' || message.fields[0].label !== 'repeated')) {
      throw new Error(`${name}: a nullable wrapper must be {repeated string items = 1}`);
    }
    const fields: ProtobufField[] = [];
    for (const f of message.fields) {
      const type = resolveType(f.type, protoPackage, packages);
      if (!SCALARS.has(type)) pending.push(type);
      const go = goFields?.find((g) => g.protoNumber === f.number);
      // Only the custom-marshalled types (Time, Quantity) lack tagged Go fields; their JSON is
      // handled by `special`, so the proto name stands in.
      if (!go && !special) warnings.push(`${name}.${f.name}: no Go struct field with protobuf number ${f.number}; using the proto name`);
      // Built key by key so that the JSON file lists number, name, json, type, ... in that order.
      const out = { number: f.number, name: f.name } as ProtobufField;
      if (!go) out.json = f.name;
      else if (!go.inline && go.json !== undefined) out.json = go.json;
      out.type = type;
      if (f.label === 'repeated') out.repeated = true;
      if (f.mapKey) {
        if (!SCALARS.has(f.mapKey)) throw new Error(`${name}.${f.name}: map key ${f.mapKey} is not a scalar`);
        out.mapKey = f.mapKey as ProtobufScalar;
      }
      if (go?.inline) out.inline = true;
      if (go?.goType.startsWith('*')) out.pointer = true;
      if (go?.omitEmpty) out.omitEmpty = true;
      fields.push(out);
    }
    messages[name] = special ? { special, fields } : { fields };
  }

  // Check the JSON names against the OpenAPI definitions (inlined fields count for the parent).
  const jsonNames = (name: string): string[] =>
    (messages[name]?.fields ?? []).flatMap((f) => (f.inline ? jsonNames(f.type) : f.json !== undefined ? [f.json] : []));
  for (const [name, message] of Object.entries(messages)) {
    const properties = definitions[name]?.properties;
    if (message.special || !properties) continue;
    const names = jsonNames(name);
    for (const json of names) {
      if (!(json in properties)) warnings.push(`${name}: JSON name ${json} is not a property in definitions.json`);
    }
    // apiVersion and kind travel in the envelope (runtime.Unknown typeMeta), never in the message.
    for (const property of Object.keys(properties)) {
      if (!names.includes(property) && property !== 'apiVersion' && property !== 'kind') {
        warnings.push(`${name}: property ${property} of definitions.json has no protobuf field`);
      }
    }
  }

  const sorted = Object.fromEntries(Object.entries(messages).sort(([a], [b]) => a.localeCompare(b)));
  return { table: { kubernetesVersion, messages: sorted }, warnings };
}

/** formatTable renders the table with one field per line, so a regeneration diffs readably. */
function formatTable(table: ProtobufTable): string {
  const lines = ['{', `  "kubernetesVersion": ${JSON.stringify(table.kubernetesVersion)},`, '  "messages": {'];
  const entries = Object.entries(table.messages);
  entries.forEach(([name, message], i) => {
    const head = message.special ? `"special": ${JSON.stringify(message.special)}, ` : '';
    lines.push(`    ${JSON.stringify(name)}: {${head}"fields": [`);
    message.fields.forEach((f, j) => lines.push(`      ${JSON.stringify(f)}${j < message.fields.length - 1 ? ',' : ''}`));
    lines.push(`    ]}${i < entries.length - 1 ? ',' : ''}`);
  });
  lines.push('  }', '}', '');
  return lines.join('\n');
}

/** main reads the source directory named on the command line and writes protobuf-fields.json. */
function main(): void {
  const [sourceDir, version = 'v1.32'] = process.argv.slice(2);
  if (!sourceDir) {
    process.stderr.write('usage: node dist/test/generators/generate-protobuf.js <proto-source-dir> [kubernetes-version]\n');
    process.exit(2);
  }
  const schemasDir = [path.join(__dirname), path.join(__dirname, '..', '..', '..', 'schemas')].find((d) =>
    fs.existsSync(path.join(d, 'generated', 'definitions.json')),
  );
  if (!schemasDir) throw new Error('schemas/generated/definitions.json not found');
  const definitions = JSON.parse(fs.readFileSync(path.join(schemasDir, 'generated', 'definitions.json'), 'utf8'));
  const { table, warnings } = buildTable(sourceDir, version, definitions);
  for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
  const file = path.join(schemasDir, 'generated', 'protobuf-fields.json');
  fs.writeFileSync(file, formatTable(table));
  process.stdout.write(`wrote ${Object.keys(table.messages).length} messages to ${file}\n`);
}

if (require.main === module) main();
