/**
 * generate-definitions writes schemas/generated/definitions.json: an OpenAPI v2 `definitions`
 * map of every built-in Kubernetes 1.32 type, under the names kube-apiserver publishes
 * (io.k8s.api.apps.v1.DeploymentSpec, io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta, ...).
 *
 * Source: the models that @kubernetes/client-node generated from the Kubernetes OpenAPI spec.
 * Each model class carries an `attributeTypeMap` (JSON name, TypeScript type, format) that gives
 * the structure; its `.d.ts` carries the descriptions (JSDoc) and required-ness (no `?`).
 * What the client generator threw away is restored here from small, commented tables:
 * the API group of classes whose names lost it, which string fields are Quantities, and what
 * each `any` field really was.
 *
 * Run (dev only; @kubernetes/client-node is a devDependency):
 *   npx tsc -p . && node dist/test/generators/generate-definitions.js
 * then generate-descriptions.ts, which puts back the descriptions kube publishes on fields that
 * refer to other definitions (client-node keeps only the referenced type's).
 */
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';
import type { JSONSchema } from '../../schemas/types';

/** The client-node models must be generated from this Kubernetes release. */
const SPEC_VERSION = /OpenAPI spec version: (v1\.32\.\d+)/;

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
const QUANTITY = 'io.k8s.apimachinery.pkg.api.resource.Quantity';
const INT_OR_STRING = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';
const RAW_EXTENSION = 'io.k8s.apimachinery.pkg.runtime.RawExtension';
const APIEXTENSIONS = 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1';

/** A (possibly nested) type as it appears in an attributeTypeMap entry. */
interface Attribute {
  name: string;
  baseName: string;
  type: string;
  format: string;
}

/** What the generator reads of one client-node model class. */
interface ModelClass {
  attributeTypeMap: Attribute[];
}

/** The parsed `.d.ts` facts of one class: its description and each property's. */
interface ClassDoc {
  description?: string;
  /** keyed by the TypeScript property name (attributeTypeMap `name`) */
  properties: Map<string, { description?: string; optional: boolean }>;
}

/** One generated API class (e.g. AppsV1Api): the group/version it serves and the models it uses. */
interface ApiFile {
  file: string;
  group: string;
  version: string;
  models: Set<string>;
}

// The apimachinery meta/v1 types. client-node names them V1ObjectMeta, V1Status, ... with no
// group, and every API group uses them, so reachability cannot place them.
const META_V1_TYPES = new Set([
  'APIGroup', 'APIGroupList', 'APIResource', 'APIResourceList', 'APIVersions', 'Condition',
  'DeleteOptions', 'FieldSelectorRequirement', 'GroupVersionForDiscovery', 'LabelSelector',
  'LabelSelectorRequirement', 'ListMeta', 'ManagedFieldsEntry', 'ObjectMeta', 'OwnerReference',
  'Preconditions', 'ServerAddressByClientCIDR', 'Status', 'StatusCause', 'StatusDetails', 'WatchEvent',
]);

// Classes whose group reachability gets wrong. Scale, Eviction and TokenRequest are served as
// subresources (deployments/scale, pods/eviction, serviceaccounts/token), so the API class that
// returns them belongs to another group; TopologySelectorTerm is a core/v1 type that only
// storage.k8s.io's StorageClass refers to.
const GROUP_OVERRIDES: Record<string, string> = {
  V1Scale: 'autoscaling',
  V1ScaleSpec: 'autoscaling',
  V1ScaleStatus: 'autoscaling',
  V1Eviction: 'policy',
  V1TokenRequestSpec: 'authentication.k8s.io',
  V1TokenRequestStatus: 'authentication.k8s.io',
  V1BoundObjectReference: 'authentication.k8s.io',
  V1TopologySelectorTerm: '',
  V1TopologySelectorLabelRequirement: '',
};

// resource.Quantity fields. client-node types them as plain strings (or string maps), so the
// list is kept here; the generator fails if one of them is missing or no longer a string.
const QUANTITY_FIELDS = new Set([
  'V1ContainerStatus.allocatedResources',
  'V1EmptyDirVolumeSource.sizeLimit',
  'V1LimitRangeItem.default',
  'V1LimitRangeItem.defaultRequest',
  'V1LimitRangeItem.max',
  'V1LimitRangeItem.maxLimitRequestRatio',
  'V1LimitRangeItem.min',
  'V1NodeStatus.allocatable',
  'V1NodeStatus.capacity',
  'V1PersistentVolumeClaimStatus.allocatedResources',
  'V1PersistentVolumeClaimStatus.capacity',
  'V1PersistentVolumeSpec.capacity',
  'V1PodSpec.overhead',
  'V1ResourceFieldSelector.divisor',
  'V1ResourceQuotaSpec.hard',
  'V1ResourceQuotaStatus.hard',
  'V1ResourceQuotaStatus.used',
  'V1ResourceRequirements.limits',
  'V1ResourceRequirements.requests',
  'V1VolumeResourceRequirements.limits',
  'V1VolumeResourceRequirements.requests',
  'V1Overhead.podFixed',
  'V1CSIStorageCapacity.capacity',
  'V1CSIStorageCapacity.maximumVolumeSize',
  'V2MetricTarget.averageValue',
  'V2MetricTarget.value',
  'V2MetricValueStatus.averageValue',
  'V2MetricValueStatus.value',
  'V1alpha3BasicDevice.capacity',
  'V1beta1DeviceCapacity.value',
]);

// The definitions behind client-node's `any` fields (keyed class.jsonName). A new `any` field
// fails the generator rather than silently becoming an unchecked hole.
const ANY_FIELDS: Record<string, string> = {
  'V1ControllerRevision.data': RAW_EXTENSION,
  'V1WatchEvent.object': RAW_EXTENSION,
  'V1alpha3OpaqueDeviceConfiguration.parameters': RAW_EXTENSION,
  'V1beta1OpaqueDeviceConfiguration.parameters': RAW_EXTENSION,
  'V1alpha3AllocatedDeviceStatus.data': RAW_EXTENSION,
  'V1beta1AllocatedDeviceStatus.data': RAW_EXTENSION,
  'V1ManagedFieldsEntry.fieldsV1': `${META}.FieldsV1`,
  'V1CustomResourceSubresources.status': `${APIEXTENSIONS}.CustomResourceSubresourceStatus`,
  'V1alpha1StorageVersion.spec': 'io.k8s.api.apiserverinternal.v1alpha1.StorageVersionSpec',
  'V1JSONSchemaProps.additionalItems': `${APIEXTENSIONS}.JSONSchemaPropsOrBool`,
  'V1JSONSchemaProps.additionalProperties': `${APIEXTENSIONS}.JSONSchemaPropsOrBool`,
  'V1JSONSchemaProps.items': `${APIEXTENSIONS}.JSONSchemaPropsOrArray`,
  'V1JSONSchemaProps.default': `${APIEXTENSIONS}.JSON`,
  'V1JSONSchemaProps.example': `${APIEXTENSIONS}.JSON`,
  'V1JSONSchemaProps.enum': `${APIEXTENSIONS}.JSON`,
  'V1JSONSchemaProps.dependencies': `${APIEXTENSIONS}.JSONSchemaPropsOrStringArray`,
};

// Definitions that have no client-node class: wire formats with custom JSON marshalling, and
// empty structs the client generator collapsed to `any`. Descriptions are our own words.
const SYNTHETIC_DEFINITIONS: Record<string, JSONSchema> = {
  [QUANTITY]: {
    description: 'Quantity is a fixed-point number with an optional SI or binary suffix, e.g. "500m", "1Gi", "2". The server also accepts a bare JSON number.',
    type: 'string',
    format: 'quantity',
  },
  [INT_OR_STRING]: {
    description: 'IntOrString holds either an integer (e.g. a port number or a count) or a string (e.g. a port name or a percentage such as "25%").',
    type: 'string',
    format: 'int-or-string',
    'x-kubernetes-int-or-string': true,
  },
  [`${META}.Time`]: {
    description: 'Time is a timestamp serialized as an RFC 3339 string with second precision.',
    type: 'string',
    format: 'date-time',
  },
  [`${META}.MicroTime`]: {
    description: 'MicroTime is a timestamp serialized as an RFC 3339 string with microsecond precision.',
    type: 'string',
    format: 'date-time',
  },
  [`${META}.FieldsV1`]: {
    description: 'FieldsV1 is the set of fields a manager owns, encoded as a trie of JSON objects keyed by "f:<name>", "k:<key>", "v:<value>" and "i:<index>".',
    type: 'object',
  },
  [`${META}.Patch`]: {
    description: 'Patch is the body of a PATCH request; its shape depends on the Content-Type.',
    type: 'object',
  },
  [RAW_EXTENSION]: {
    description: 'RawExtension holds an embedded object, such as a full Kubernetes object with its own apiVersion and kind.',
    type: 'object',
  },
  [`${APIEXTENSIONS}.JSON`]: {
    description: 'JSON is any JSON value: object, array, string, number, boolean or null.',
  },
  [`${APIEXTENSIONS}.JSONSchemaPropsOrArray`]: {
    description: 'JSONSchemaPropsOrArray is either one JSONSchemaProps or an array of them.',
  },
  [`${APIEXTENSIONS}.JSONSchemaPropsOrBool`]: {
    description: 'JSONSchemaPropsOrBool is either a JSONSchemaProps or a boolean (true allows anything, false nothing).',
  },
  [`${APIEXTENSIONS}.JSONSchemaPropsOrStringArray`]: {
    description: 'JSONSchemaPropsOrStringArray is either a JSONSchemaProps or an array of property names.',
  },
  [`${APIEXTENSIONS}.CustomResourceSubresourceStatus`]: {
    description: 'CustomResourceSubresourceStatus enables the /status subresource of a custom resource; it has no fields.',
    type: 'object',
  },
  'io.k8s.api.apiserverinternal.v1alpha1.StorageVersionSpec': {
    description: 'StorageVersionSpec is empty: a StorageVersion only carries status.',
    type: 'object',
  },
};

/** CLASS_NAME splits a client-node class name into group prefix, version and type name. */
const CLASS_NAME = /^((?:[A-Z][a-z]+)*?)(V\d+(?:alpha\d+|beta\d+)?)([A-Z]\w*)$/;

/** parseClassName returns the parts of a client-node class name, e.g. RbacV1Subject. */
function parseClassName(cls: string): { prefix: string; version: string; name: string } {
  const m = CLASS_NAME.exec(cls);
  if (!m) throw new Error(`cannot parse client-node class name ${cls}`);
  return { prefix: m[1], version: m[2].toLowerCase(), name: m[3] };
}

/**
 * definitionPackage is the OpenAPI name prefix of a group/version, e.g. io.k8s.api.apps.v1.
 * kube names a package after the first label of the group, except where the Go package lives
 * outside k8s.io/api.
 */
function definitionPackage(group: string, version: string): string {
  switch (group) {
    case '': return `io.k8s.api.core.${version}`;
    case 'apiextensions.k8s.io': return `io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.${version}`;
    case 'apiregistration.k8s.io': return `io.k8s.kube-aggregator.pkg.apis.apiregistration.${version}`;
    case 'internal.apiserver.k8s.io': return `io.k8s.api.apiserverinternal.${version}`;
    default: return `io.k8s.api.${group.split('.')[0]}.${version}`;
  }
}

/** innerType strips Array<...> and { [key: string]: ...; } wrappers from a client-node type. */
function innerType(type: string): string {
  const m = /^Array<(.*)>$/.exec(type) ?? /^\{ \[key: string\]: (.*); \}$/.exec(type);
  return m ? innerType(m[1]) : type;
}

/** readApiFiles parses the generated API classes: served group/version and models referenced. */
function readApiFiles(apisDir: string, live: Set<string>): ApiFile[] {
  const result: ApiFile[] = [];
  for (const file of fs.readdirSync(apisDir).filter((f) => /V\d+\w*Api\.js$/.test(f)).sort()) {
    const src = fs.readFileSync(path.join(apisDir, file), 'utf8');
    const paths = [...src.matchAll(/localVarPath = '([^']*)'/g)].map((m) => m[1].split('/'));
    const first = paths[0];
    if (!first) continue;
    const [group, version] = first[1] === 'api' ? ['', first[2]] : [first[2], first[3]];
    const models = new Set(
      [...src.matchAll(/"([A-Z]\w*)"/g)].map((m) => m[1]).filter((t) => CLASS_NAME.test(t) && !t.endsWith('Api')),
    );
    // The npm tarball still carries a few API classes of group/versions removed before 1.32
    // (flowcontrol v1beta3, resource v1alpha2, ...); their models are not exported any more.
    const stale = [...models].filter((m) => !live.has(m));
    if (stale.length > 0) {
      console.log(`skipping ${file}: refers to models that are not exported (${stale.slice(0, 3).join(', ')})`);
      continue;
    }
    result.push({ file, group, version, models });
  }
  return result;
}

/** readClassDoc reads descriptions and optionality of one model from its `.d.ts`. */
function readClassDoc(dtsFile: string, cls: string): ClassDoc {
  const text = fs.readFileSync(dtsFile, 'utf8');
  const source = ts.createSourceFile(dtsFile, text, ts.ScriptTarget.ES2022, false);
  const doc: ClassDoc = { properties: new Map() };
  for (const statement of source.statements) {
    if (!ts.isClassDeclaration(statement) || statement.name?.text !== cls) continue;
    doc.description = leadingDoc(text, statement.pos);
    for (const member of statement.members) {
      if (!ts.isPropertyDeclaration(member) || !member.name) continue;
      if (member.modifiers?.some((m) => m.kind === ts.SyntaxKind.StaticKeyword)) continue;
      const name = ts.isStringLiteral(member.name) || ts.isIdentifier(member.name) ? member.name.text : undefined;
      if (name === undefined) continue;
      doc.properties.set(name, { description: leadingDoc(text, member.pos), optional: member.questionToken !== undefined });
    }
  }
  return doc;
}

/**
 * leadingDoc returns the text of the last JSDoc comment before pos. Comments are read raw
 * rather than through the JSDoc parser, which would cut descriptions at any "@word".
 */
function leadingDoc(text: string, pos: number): string | undefined {
  const ranges = ts.getLeadingCommentRanges(text, pos) ?? [];
  const last = ranges.filter((r) => text.startsWith('/**', r.pos)).pop();
  if (!last) return undefined;
  const body = text.slice(last.pos + 3, last.end - 2);
  const lines = body.split('\n').map((l) => l.replace(/^\s*\*\s?/, '').trim()).filter((l) => l !== '');
  if (lines.length === 0 || lines.some((l) => l.startsWith('OpenAPI spec version'))) return undefined;
  // The client generator escaped quotes and backslashes as in a JS string literal.
  return lines.join(' ').replace(/\\(["'\\])/g, '$1');
}

/** Generator holds the loaded client-node models and turns them into definitions. */
class Generator {
  readonly classGroup = new Map<string, string>();
  readonly definitionName = new Map<string, string>();
  private readonly apiFiles: ApiFile[];
  private readonly reachCache = new Map<Set<string>, Set<string>>();
  private readonly typeDescriptions = new Map<string, string>();
  private readonly usedQuantityFields = new Set<string>();
  private readonly usedAnyFields = new Set<string>();

  constructor(
    private readonly models: Record<string, ModelClass>,
    private readonly modelsDir: string,
    apisDir: string,
  ) {
    this.apiFiles = readApiFiles(apisDir, new Set(Object.keys(models)));
    for (const cls of Object.keys(models)) {
      if (cls === 'VersionInfo') {
        this.definitionName.set(cls, 'io.k8s.apimachinery.pkg.version.Info');
        continue;
      }
      const { version, name } = parseClassName(cls);
      const group = this.groupOf(cls);
      this.classGroup.set(cls, group);
      this.definitionName.set(cls, group === 'meta' ? `${META}.${name}` : `${definitionPackage(group, version)}.${name}`);
    }
    const names = [...this.definitionName.values()];
    const duplicate = names.find((n, i) => names.indexOf(n) !== i);
    if (duplicate) throw new Error(`two client-node classes map to ${duplicate}`);
  }

  /**
   * groupOf finds the API group of a class: from its name prefix when client-node kept one
   * (RbacV1Subject), else from the tables above, else from which group's API reaches it.
   * A type reached from core/v1 and from other groups is a core type that they import.
   */
  private groupOf(cls: string): string {
    const { prefix, version, name } = parseClassName(cls);
    if (prefix !== '') {
      const api = this.apiFiles.find((a) => new RegExp(`^${prefix}(?:V\\d|[A-Z])`).test(a.file));
      if (!api) throw new Error(`no API class for prefix ${prefix} of ${cls}`);
      return api.group;
    }
    if (version === 'v1' && META_V1_TYPES.has(name)) return 'meta';
    if (cls in GROUP_OVERRIDES) return GROUP_OVERRIDES[cls];
    const groups = new Set<string>();
    for (const api of this.apiFiles) {
      if (api.version === version && this.reachable(api.models).has(cls)) groups.add(api.group);
    }
    if (groups.has('')) return '';
    if (groups.size === 1) return [...groups][0];
    throw new Error(`cannot place ${cls}: reached from ${groups.size ? [...groups].join(', ') : 'no API group'}`);
  }

  /** reachable is every model class reachable from roots through attribute types. */
  private reachable(roots: Set<string>): Set<string> {
    const cached = this.reachCache.get(roots);
    if (cached) return cached;
    const seen = new Set<string>();
    const stack = [...roots];
    for (let cls = stack.pop(); cls !== undefined; cls = stack.pop()) {
      if (seen.has(cls) || !(cls in this.models)) continue;
      seen.add(cls);
      for (const a of this.models[cls].attributeTypeMap) stack.push(innerType(a.type));
    }
    this.reachCache.set(roots, seen);
    return seen;
  }

  /** generate builds the complete definitions map, sorted by name. */
  generate(): Record<string, JSONSchema> {
    const out: Record<string, JSONSchema> = {};
    for (const cls of Object.keys(this.models)) {
      out[this.definitionName.get(cls)!] = this.classSchema(cls);
    }
    for (const [name, schema] of Object.entries(SYNTHETIC_DEFINITIONS)) {
      const description = this.typeDescriptions.get(name);
      out[name] = description ? { ...schema, description } : schema;
    }
    const unusedQuantity = [...QUANTITY_FIELDS].filter((f) => !this.usedQuantityFields.has(f));
    if (unusedQuantity.length > 0) throw new Error(`Quantity fields not found: ${unusedQuantity.join(', ')}`);
    const unusedAny = Object.keys(ANY_FIELDS).filter((f) => !this.usedAnyFields.has(f));
    if (unusedAny.length > 0) throw new Error(`any-typed fields not found: ${unusedAny.join(', ')}`);
    return Object.fromEntries(Object.keys(out).sort().map((k) => [k, out[k]]));
  }

  /** classSchema converts one model class to an object definition. */
  private classSchema(cls: string): JSONSchema {
    const doc = readClassDoc(path.join(this.modelsDir, `${cls}.d.ts`), cls);
    const properties: Record<string, JSONSchema> = {};
    const required: string[] = [];
    for (const attr of this.models[cls].attributeTypeMap) {
      const propDoc = doc.properties.get(attr.name);
      if (!propDoc) throw new Error(`${cls}.d.ts does not declare ${attr.name}`);
      const key = `${cls}.${attr.baseName}`;
      const schema = this.typeSchema(key, attr.type, attr.format);
      const description = this.fieldDescription(attr.baseName, schema, propDoc.description);
      properties[attr.baseName] = description ? { description, ...schema } : schema;
      if (!propDoc.optional) required.push(attr.baseName);
    }
    const schema: JSONSchema = {};
    if (doc.description) schema.description = doc.description;
    schema.type = 'object';
    if (required.length > 0) schema.required = required;
    schema.properties = properties;
    const gvk = this.groupVersionKinds(cls);
    if (gvk.length > 0) schema['x-kubernetes-group-version-kind'] = gvk;
    return schema;
  }

  /**
   * fieldDescription returns the description to publish for a field. Where the spec had none
   * on a field of a synthetic type (IntOrString, MicroTime, JSON, ...), client-node copied the
   * type's own description onto it; that text describes the type, so it moves there. (A field
   * named like its type, ManagedFieldsEntry.time, starts its own description the same way.)
   */
  private fieldDescription(field: string, schema: JSONSchema, description: string | undefined): string | undefined {
    const target = typeof schema.$ref === 'string' ? schema.$ref.slice('#/definitions/'.length) : undefined;
    if (!description || !target || !(target in SYNTHETIC_DEFINITIONS)) return description;
    const typeName = target.slice(target.lastIndexOf('.') + 1);
    if (field.toLowerCase() === typeName.toLowerCase()) return description;
    if (!new RegExp(`^${typeName} (is|represents) `).test(description)) return description;
    if (!this.typeDescriptions.has(target)) this.typeDescriptions.set(target, description);
    return undefined;
  }

  /** typeSchema converts one attribute type; key (class.field) selects the table overrides. */
  private typeSchema(key: string, type: string, format: string): JSONSchema {
    const array = /^Array<(.*)>$/.exec(type);
    if (array) return { type: 'array', items: this.typeSchema(key, array[1], format) };
    const map = /^\{ \[key: string\]: (.*); \}$/.exec(type);
    if (map) return { type: 'object', additionalProperties: this.typeSchema(key, map[1], format) };
    if (QUANTITY_FIELDS.has(key)) {
      if (type !== 'string') throw new Error(`Quantity field ${key} has type ${type}`);
      this.usedQuantityFields.add(key);
      return ref(QUANTITY);
    }
    switch (type) {
      case 'string': return format ? { type: 'string', format } : { type: 'string' };
      case 'boolean': return { type: 'boolean' };
      case 'number':
        if (format === 'int32' || format === 'int64') return { type: 'integer', format };
        return format ? { type: 'number', format } : { type: 'number' };
      case 'Date': return ref(`${META}.Time`);
      case 'V1MicroTime': return ref(`${META}.MicroTime`);
      case 'IntOrString': return ref(INT_OR_STRING);
      case 'any': {
        const target = ANY_FIELDS[key];
        if (!target) throw new Error(`${key} is typed any and has no entry in ANY_FIELDS`);
        this.usedAnyFields.add(key);
        return ref(target);
      }
    }
    const target = this.definitionName.get(type);
    if (!target) throw new Error(`${key} has unknown type ${type}`);
    return ref(target);
  }

  /**
   * groupVersionKinds is the x-kubernetes-group-version-kind of a top-level kind: a class with
   * apiVersion, kind and metadata. DeleteOptions and WatchEvent are accepted by every
   * group/version, as kube publishes them; the other meta kinds are core v1.
   */
  private groupVersionKinds(cls: string): Array<{ group: string; kind: string; version: string }> {
    const attrs = new Set(this.models[cls].attributeTypeMap.map((a) => a.baseName));
    const group = this.classGroup.get(cls);
    if (group === undefined) return [];
    const { version, name } = parseClassName(cls);
    if (group === 'meta' && (name === 'DeleteOptions' || name === 'WatchEvent')) {
      return this.apiFiles.map((a) => ({ group: a.group, kind: name, version: a.version }));
    }
    if (!attrs.has('apiVersion') || !attrs.has('kind') || !attrs.has('metadata')) return [];
    return [{ group: group === 'meta' ? '' : group, kind: name, version }];
  }
}

/** ref is a reference to another definition. */
function ref(name: string): JSONSchema {
  return { $ref: `#/definitions/${name}` };
}

/** main loads client-node's models and writes schemas/generated/definitions.json. */
function main(): void {
  const packageDir = path.dirname(require.resolve('@kubernetes/client-node/package.json'));
  const modelsDir = path.join(packageDir, 'dist', 'gen', 'models');
  const header = fs.readFileSync(path.join(modelsDir, 'V1Pod.js'), 'utf8');
  const specVersion = SPEC_VERSION.exec(header)?.[1];
  if (!specVersion) throw new Error(`${modelsDir} was not generated from a Kubernetes 1.32 OpenAPI spec`);
  // client-node ships ES modules; Node 20.19+ can require() them synchronously. all.js exports
  // exactly the current models: the tarball also carries stale files of removed versions.
  const models = require(path.join(modelsDir, 'all.js')) as Record<string, ModelClass>;
  const generator = new Generator(models, modelsDir, path.join(packageDir, 'dist', 'gen', 'apis'));
  const definitions = generator.generate();
  // This runs as dist/test/generators/generate-definitions.js; the output lives beside the source.
  const outDir = path.resolve(__dirname, '..', '..', '..', 'schemas', 'generated');
  fs.mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, 'definitions.json');
  fs.writeFileSync(file, `${JSON.stringify(definitions, null, 1)}\n`);
  const version = (JSON.parse(fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8')) as { version: string }).version;
  console.log(`wrote ${Object.keys(definitions).length} definitions (${fs.statSync(file).size} bytes) to ${file} from @kubernetes/client-node ${version} (spec ${specVersion})`);
}

if (require.main === module) main();
