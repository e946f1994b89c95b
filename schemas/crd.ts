/**
 * CustomResourceDefinitions: the strategy of the CRD kind itself (defaults, stored versions,
 * validation, deletion held for cleanup), and the conversion of a CRD into the
 * ResourceDefinitions that serve its custom resources, one per served version, all sharing one
 * store prefix (the key holds only group and plural). Custom resources get the same generic
 * machinery as built-ins: schema validation (compiled once per version), pruning and defaulting
 * from the structural schema, status and scale subresources, printer columns via JSONPath,
 * selectable fields.
 */
import { isPlainObject as isRecord, valueAt } from './meta/json';
import { applySchemaDefaults, goValue, hasDefaults, propertiesOf, pruneSchemaDefaults, validateStructure } from './crd-schema';
import { compileSchemaRules, validateRules } from './cel/crd-rules';
import { ratchetSchemaProblems } from './crd-ratcheting';
import { conditionOf, specOf, statusOf, validateCustomResourceDefinition, type CRDCondition, type CRDNames, type CRDVersion } from './crd-validation';
import { objectStrategy, statusStrategy } from './kinds/strategy';
import { compileJSONPath, printJSONPathValue, type CompiledJSONPath } from './jsonpath';
import { definitions } from './openapi-definitions';
import { humanDuration, parseTime } from './printers-pod';
import { StatusError } from './meta/status-error';
import type { FieldError, JSONSchema, KubeObject, ResourceDefinition, ScaleSubresource, TableColumn } from './types';

export { conditionOf, specOf, statusOf, type CRDCondition, type CRDNames, type CRDVersion };

/** CUSTOM_RESOURCE_CLEANUP_FINALIZER holds a deleted CRD until its custom resources are gone. */
export const CUSTOM_RESOURCE_CLEANUP_FINALIZER = 'customresourcecleanup.apiextensions.k8s.io';

/** CUSTOM_RESOURCE_VERBS are the discovery verbs of every custom resource, in kube-apiserver's order. */
export const CUSTOM_RESOURCE_VERBS = ['delete', 'deletecollection', 'get', 'list', 'patch', 'create', 'update', 'watch'];

/**
 * READ_ONLY_GROUPS are nodeless's own custom resource groups that API clients may only read.
 * The instance scheduler alone writes the billing ledger and the usage summed from it, through
 * the in-process Client; over HTTP their write verbs answer 405 as a read-only aggregated API
 * (metrics.k8s.io) does, and discovery lists only the read verbs. The namespace controller and
 * the garbage collector skip resources without delete verbs, so a namespace's bill outlives it.
 */
export const READ_ONLY_GROUPS: ReadonlySet<string> = new Set(['usage.nodeless.dev']);

const READ_VERBS = ['get', 'list', 'watch'];

type CRDStrategy = Required<Pick<ResourceDefinition, 'defaults' | 'strategy' | 'deleteStrategy'>>;

/**
 * customResourceDefinitionStrategy is the strategy of apiextensions.k8s.io/customresourcedefinitions:
 * v1 defaults, status reset on create with the storage version recorded in storedVersions, full
 * CRD validation, and deletion held (Terminating condition, cleanup finalizer) until the CRD
 * controller has removed every custom resource. now is injected for condition times.
 */
export function customResourceDefinitionStrategy(now: () => Date = () => new Date()): CRDStrategy {
  return {
    defaults: defaultCustomResourceDefinition,
    strategy: objectStrategy({
      status: true,
      generation: true,
      prepareForCreate: (crd) => {
        crd.status = { acceptedNames: { plural: '', kind: '' }, storedVersions: [] };
        recordStorageVersion(crd);
      },
      // A new storage version is recorded in status.storedVersions, which the main resource otherwise keeps.
      prepareForUpdate: (crd) => recordStorageVersion(crd),
      validate: validateCustomResourceDefinition,
    }),
    deleteStrategy: {
      prepareForDelete: (crd) => {
        setCondition(crd, {
          type: 'Terminating',
          status: 'True',
          reason: 'InstanceDeletionPending',
          message: 'CustomResourceDefinition marked for deletion; CustomResource deletion will begin soon',
        }, now());
        const meta = (crd.metadata ??= {});
        if (!(meta.finalizers ?? []).includes(CUSTOM_RESOURCE_CLEANUP_FINALIZER)) meta.finalizers = [...(meta.finalizers ?? []), CUSTOM_RESOURCE_CLEANUP_FINALIZER];
        return true;
      },
      // Gone once the controller has finished cleaning up (Terminating no longer True) and no finalizer remains.
      finalized: (crd) => !crd.metadata?.finalizers?.length && conditionOf(crd, 'Terminating')?.status !== 'True',
    },
  };
}

/**
 * defaultCustomResourceDefinition applies apiextensions/v1 defaults (singular, listKind, conversion
 * None) and records the storage version in status.storedVersions. The registry calls it after it
 * has carried status over on an update, which makes it the place for PrepareForUpdate's
 * storedVersions rule as well.
 */
export function defaultCustomResourceDefinition(crd: KubeObject): void {
  if (!isRecord(crd.spec)) return;
  const spec = crd.spec as Record<string, unknown>;
  const names = (isRecord(spec.names) ? spec.names : (spec.names = {})) as CRDNames;
  if (!names.singular && names.kind) names.singular = names.kind.toLowerCase();
  if (!names.listKind && names.kind) names.listKind = `${names.kind}List`;
  if (spec.conversion === undefined || spec.conversion === null) spec.conversion = { strategy: 'None' };
  const conversion = spec.conversion as { strategy?: string; webhook?: { clientConfig?: { service?: { port?: number } } } };
  const service = conversion.webhook?.clientConfig?.service;
  if (service && service.port === undefined) service.port = 443;
  recordStorageVersion(crd);
}

function recordStorageVersion(crd: KubeObject): void {
  const storage = storageVersionOf(crd);
  if (!storage) return;
  const status = (isRecord(crd.status) ? crd.status : (crd.status = {})) as { storedVersions?: string[] };
  const stored = Array.isArray(status.storedVersions) ? status.storedVersions : [];
  if (!stored.includes(storage)) status.storedVersions = [...stored, storage];
}

/** storageVersionOf names the version marked storage: true. */
export function storageVersionOf(crd: KubeObject): string | undefined {
  return (specOf(crd).versions ?? []).find((v) => v.storage)?.name;
}

/** setCondition sets a condition of a CRD's status, keeping lastTransitionTime when the status did not change. */
export function setCondition(crd: KubeObject, condition: CRDCondition, now: Date): void {
  const status = (isRecord(crd.status) ? crd.status : (crd.status = {})) as { conditions?: CRDCondition[] };
  const conditions = Array.isArray(status.conditions) ? status.conditions : (status.conditions = []);
  const existing = conditions.find((c) => c.type === condition.type);
  const time = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  if (!existing) {
    conditions.push({ type: condition.type, status: condition.status, lastTransitionTime: time, reason: condition.reason, message: condition.message });
    return;
  }
  if (existing.status !== condition.status || !existing.lastTransitionTime) existing.lastTransitionTime = time;
  existing.status = condition.status;
  existing.reason = condition.reason;
  existing.message = condition.message;
}

// ---- custom resources -----------------------------------------------------------------------

/** CustomResourceVersion is the ResourceDefinition of one served version of a CRD. */
export interface CustomResourceVersion extends ResourceDefinition {
  /** the name of the CRD this version comes from */
  crdName: string;
  /** the CRD's storage version, the form objects are written in */
  storageVersion: string;
}

/**
 * CustomResourceConverter converts custom resources to desiredAPIVersion (group/version) for a
 * CRD whose conversion strategy is Webhook: it resolves with every object, in order, those
 * already in that version as they were; it rejects with the StatusError a client sees.
 */
export type CustomResourceConverter = (objects: KubeObject[], desiredAPIVersion: string) => Promise<KubeObject[]>;

/**
 * customResourceVersions builds the ResourceDefinitions that serve a CRD's custom resources, one
 * per served version, under the accepted names. A CRD with conversion strategy Webhook converts
 * through webhook (without one, such reads and writes are refused).
 */
export function customResourceVersions(crd: KubeObject, names: CRDNames = specOf(crd).names ?? {}, webhook?: CustomResourceConverter): CustomResourceVersion[] {
  const spec = specOf(crd);
  const group = spec.group ?? '';
  const storageVersion = storageVersionOf(crd) ?? '';
  const plural = specOf(crd).names?.plural ?? names.plural ?? '';
  const storage: StorageFacts = {
    version: storageVersion,
    storedVersions: statusOf(crd).storedVersions ?? [storageVersion],
    // Objects written while the schema was unchanged got its defaults on write; once the spec
    // changed, stored objects may predate a default and are defaulted when read.
    schemaChanged: (crd.metadata?.generation ?? 1) > 1,
    webhook: spec.conversion?.strategy === 'Webhook' ? (webhook ?? noConverter(crd.metadata?.name ?? '')) : undefined,
  };
  return (spec.versions ?? [])
    .filter((v) => v.served)
    .map((v) => {
      const def = versionDefinition(crd.metadata?.name ?? '', group, plural, spec.scope === 'Namespaced', names, v, storage);
      if (v.deprecated) def.deprecationWarning = v.deprecationWarning ?? defaultDeprecationWarning(group, spec.names?.kind ?? '', v.name, spec.versions ?? []);
      return def;
    });
}

/**
 * defaultDeprecationWarning is kube's warning for a deprecated version without its own text:
 * "<group>/<version> <Kind> is deprecated", followed by "; use <group>/<version> <Kind>" naming
 * the highest served, non-deprecated version that sorts above the deprecated one.
 */
export function defaultDeprecationWarning(group: string, kind: string, deprecated: string, versions: readonly CRDVersion[]): string {
  const message = `${group}/${deprecated} ${kind} is deprecated`;
  const newer = versions
    .filter((v) => v.served && !v.deprecated && compareKubeVersions(deprecated, v.name) < 0)
    .map((v) => v.name)
    .sort((a, b) => compareKubeVersions(b, a));
  return newer.length ? `${message}; use ${group}/${newer[0]} ${kind}` : message;
}

/**
 * compareKubeVersions orders versions by kube's priority (CompareKubeAwareVersionStrings): it is
 * positive when a ranks above b. GA ranks above beta above alpha, then higher major, then higher
 * minor; versions not of the form v1, v2beta1, v1alpha3 rank below all of those, in
 * alphabetical order.
 */
export function compareKubeVersions(a: string, b: string): number {
  if (a === b) return 0;
  const parse = (v: string) => {
    const m = /^v([1-9][0-9]*)(?:(alpha|beta)([1-9][0-9]*))?$/.exec(v);
    return m ? { stage: m[2] === 'alpha' ? 0 : m[2] === 'beta' ? 1 : 2, major: Number(m[1]), minor: Number(m[3] ?? 0) } : undefined;
  };
  const x = parse(a);
  const y = parse(b);
  if (!x && !y) return a < b ? 1 : -1;
  if (!x) return -1;
  if (!y) return 1;
  return x.stage - y.stage || x.major - y.major || x.minor - y.minor;
}

// StorageFacts are what decides whether a version's reads and writes need converting.
interface StorageFacts {
  version: string;
  /** every version objects may be stored in (status.storedVersions) */
  storedVersions: string[];
  schemaChanged: boolean;
  /** the conversion webhook, for strategy Webhook */
  webhook?: CustomResourceConverter;
}

// noConverter refuses conversion for a Webhook CRD served without a webhook client.
function noConverter(crdName: string): CustomResourceConverter {
  return () => Promise.reject(new StatusError(500, 'InternalError', `Internal error occurred: no conversion webhook client for ${crdName}`));
}

const PRESERVE_EVERYTHING: JSONSchema = { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };

function versionDefinition(
  crdName: string,
  group: string,
  plural: string,
  namespaced: boolean,
  names: CRDNames,
  v: CRDVersion,
  storage: StorageFacts,
): CustomResourceVersion {
  const schema: JSONSchema = isRecord(v.schema?.openAPIV3Schema) ? structuredClone(v.schema!.openAPIV3Schema!) : PRESERVE_EVERYTHING;
  pruneSchemaDefaults(schema);
  const scale = v.subresources?.scale;
  const scaleSubresource: ScaleSubresource | undefined = scale?.specReplicasPath && scale.statusReplicasPath
    ? { specReplicasPath: scale.specReplicasPath, statusReplicasPath: scale.statusReplicasPath, labelSelectorPath: scale.labelSelectorPath || undefined }
    : undefined;
  const subresources: ResourceDefinition['subresources'] = {};
  if (v.subresources?.status !== undefined && v.subresources.status !== null) subresources.status = true;
  if (scaleSubresource) subresources.scale = scaleSubresource;
  // CEL rules are compiled here, once per CRD version, and evaluated on every write. kube-apiserver's
  // order: the scale checks (customResourceValidator) come before the structural ones (the strategy's).
  const rules = compileSchemaRules(schema);
  const validate = (obj: KubeObject, old?: KubeObject, warn?: (warning: string) => void) => [
    ...(scaleSubresource ? scaleErrors(obj, scaleSubresource) : []),
    ...validateStructure(obj, schema),
    ...(rules ? validateRules(rules, obj, old, warn) : []),
  ];
  const apiVersion = `${group}/${v.name}`;
  const storageApiVersion = `${group}/${storage.version}`;
  const defaulted = hasDefaults(schema);
  // Conversion strategy None: only apiVersion changes between versions. Reads convert to this
  // version and apply the schema's current defaults, as kube-apiserver's codec does, unless
  // every stored object is already in this form (then stored bytes are served as they are);
  // writes store the storage version. Status writes are not defaulted by the registry, so
  // defaults under status are always applied on read.
  const readDefaults = defaulted && (storage.schemaChanged || hasDefaults(propertiesOf(schema).status));
  const readConverts = readDefaults || storage.storedVersions.some((sv) => sv !== v.name);
  const writeConverts = v.name !== storage.version;
  const webhook = storage.webhook;
  const conversion: ResourceDefinition['conversion'] = !(readConverts || writeConverts)
    ? undefined
    : webhook
    ? {
        // Strategy Webhook: the webhook converts; the schema's defaults apply to what it returns,
        // as kube-apiserver's codec defaults after converting.
        async: true,
        fromStorage: async (objs: KubeObject[]) => {
          const converted = await webhook(objs, apiVersion);
          if (readDefaults) for (const obj of converted) applySchemaDefaults(obj, schema);
          return converted;
        },
        toStorage: async (obj: KubeObject) => (await webhook([obj], storageApiVersion))[0],
      }
    : {
        fromStorage: (obj: KubeObject) => {
          obj.apiVersion = apiVersion;
          if (readDefaults) applySchemaDefaults(obj, schema);
          return obj;
        },
        toStorage: (obj: KubeObject) => {
          obj.apiVersion = storageApiVersion;
          return obj;
        },
      };
  return {
    group,
    version: v.name,
    kind: names.kind ?? '',
    listKind: names.listKind ?? `${names.kind ?? ''}List`,
    plural,
    singular: names.singular ?? '',
    shortNames: [...(names.shortNames ?? [])],
    categories: [...(names.categories ?? [])],
    namespaced,
    verbs: [...(READ_ONLY_GROUPS.has(group) ? READ_VERBS : CUSTOM_RESOURCE_VERBS)],
    subresources,
    schema,
    ratchetSchemaProblems: (problems, obj, old) => ratchetSchemaProblems(schema, problems, obj, old),
    columns: printerColumns(v),
    selectableFields: selectableFields(v),
    nameValidation: 'dns-subdomain',
    defaults: defaulted ? (obj) => applySchemaDefaults(obj, schema) : undefined,
    strategy: objectStrategy({ status: !!subresources.status, generation: true, validate }),
    // A custom resource's status subresource writes nothing but status.
    statusStrategy: subresources.status ? statusStrategy({ metadata: 'stored', validate }) : undefined,
    conversion,
    crdName,
    storageVersion: storage.version,
  };
}

// scaleErrors follows customResourceValidator.ValidateScaleSpec and ValidateScaleStatus.
function scaleErrors(obj: KubeObject, scale: ScaleSubresource): FieldError[] {
  const errs: FieldError[] = [];
  for (const path of [scale.specReplicasPath, scale.statusReplicasPath]) {
    const v = valueAt(obj, path);
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isInteger(v)) {
      errs.push({ type: 'FieldValueInvalid', field: path, message: `Invalid value: 0: ${path} accessor error: ${typeof v === 'string' ? v : goValue(v)} is of the type ${goType(v)}, expected int64` });
    } else if (v < 0) {
      errs.push({ type: 'FieldValueInvalid', field: path, message: `Invalid value: ${v}: should be a non-negative integer` });
    } else if (v > 2147483647) {
      errs.push({ type: 'FieldValueInvalid', field: path, message: `Invalid value: ${v}: should be less than or equal to 2147483647` });
    }
  }
  if (scale.labelSelectorPath) {
    const v = valueAt(obj, scale.labelSelectorPath);
    if (v !== undefined && typeof v !== 'string') {
      errs.push({ type: 'FieldValueInvalid', field: scale.labelSelectorPath, message: `Invalid value: "": ${scale.labelSelectorPath} accessor error: ${goValue(v)} is of the type ${goType(v)}, expected string` });
    }
  }
  return errs;
}

function goType(v: unknown): string {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int64' : 'float64';
  if (Array.isArray(v)) return '[]interface {}';
  if (v === null) return '<nil>';
  return 'map[string]interface {}';
}


const OBJECT_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';

function metaDescription(field: string): string {
  const meta = definitions[OBJECT_META] as { properties?: Record<string, { description?: string }> } | undefined;
  return meta?.properties?.[field]?.description ?? '';
}

/**
 * printerColumns is the Table of a custom resource as kube-apiserver's tableconvertor builds it:
 * Name, then the version's additionalPrinterColumns, or Age when it declares none.
 */
export function printerColumns(v: CRDVersion): TableColumn[] {
  const declared = v.additionalPrinterColumns ?? [];
  const columns = declared.length
    ? declared
    : [{ name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp', description: metaDescription('creationTimestamp'), priority: 0 }];
  const out: TableColumn[] = [
    { name: 'Name', type: 'string', format: 'name', description: metaDescription('name'), priority: 0, cell: (o) => o.metadata?.name ?? '' },
  ];
  for (const c of columns) {
    let path: CompiledJSONPath | undefined;
    try {
      path = compileJSONPath(c.jsonPath ?? '');
    } catch {
      path = undefined;
    }
    const type = c.type ?? 'string';
    const column: TableColumn = {
      name: c.name ?? '',
      type,
      description: c.description || `Custom resource definition column (in JSONPath format): ${c.jsonPath ?? ''}`,
      priority: c.priority ?? 0,
      cell: (obj, now) => {
        const found = path?.find(obj) ?? [];
        return found.length === 0 ? null : cellValue(type, found[0], now);
      },
    };
    if (c.format) column.format = c.format;
    out.push(column);
  }
  return out;
}

// cellValue follows tableconvertor's cellForJSONValue; string columns print like JSONPath output.
function cellValue(type: string, value: unknown, now: Date): unknown {
  if (value === null || value === undefined) return null;
  switch (type) {
    case 'string':
      return printJSONPathValue(value);
    case 'integer':
      return typeof value === 'number' ? Math.trunc(value) : null;
    case 'number':
      return typeof value === 'number' ? value : null;
    case 'boolean':
      return typeof value === 'boolean' ? value : null;
    case 'date': {
      if (typeof value !== 'string') return null;
      if (Number.isNaN(Date.parse(value))) return '<invalid>';
      const t = parseTime(value);
      return t === undefined ? '<unknown>' : humanDuration(now.getTime() - t);
    }
  }
  return null;
}

// selectableFields maps each spec.versions[].selectableFields jsonPath (without its dot) to a getter.
function selectableFields(v: CRDVersion): Record<string, (obj: KubeObject) => string | undefined> | undefined {
  const fields = (v.selectableFields ?? []).filter((f) => f.jsonPath);
  if (!fields.length) return undefined;
  return Object.fromEntries(
    fields.map((f) => {
      const path = compileJSONPath(f.jsonPath!);
      return [f.jsonPath!.replace(/^\./, ''), (obj: KubeObject) => {
        const found = path.find(obj);
        return found.length && found[0] !== null && found[0] !== undefined ? printJSONPathValue(found[0]) : '';
      }];
    }),
  );
}
