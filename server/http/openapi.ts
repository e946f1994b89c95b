/**
 * /openapi/v2 and /openapi/v3: the schemas of every served kind, generated from schemas/ (the
 * built-in definitions) and from run-time ResourceDefinitions (CRDs), so that kubectl validates
 * manifests and `kubectl explain` works. Documents are cached until the resource table changes.
 */
import type express from 'express';
import { createHash } from 'node:crypto';
import { publishedSchema } from '../../schemas/crd-openapi';
import { definitions, toOpenAPIV3 } from '../../schemas/openapi-definitions';
import { definitionMapType, openAPIExtensions, patchMetaFor } from '../../schemas/patch-metadata';
import type { JSONSchema, ResourceDefinition } from '../../schemas/types';
import { groupVersion, type ResourceTable } from '../registry/resource-table';
import { StatusError } from '../../schemas/meta/status-error';
import { send } from './codec';
import { OPENAPI_V2_PROTOBUF, OPENAPI_V2_PROTOBUF_CONTENT_TYPE, encodeOpenAPIV2 } from './openapi-protobuf';
import { KUBERNETES_MINOR } from './version';

const V2_REF = '#/definitions/';

/** OpenAPI serves the OpenAPI documents of a resource table. */
export class OpenAPI {
  private v2?: string;
  private v2Protobuf?: Buffer;
  private v3 = new Map<string, { body: string; hash: string }>();
  private generation = -1;

  constructor(private readonly resources: ResourceTable) {}

  private refresh(): void {
    if (this.generation === this.resources.generation) return;
    this.generation = this.resources.generation;
    this.v2 = undefined;
    this.v2Protobuf = undefined;
    this.v3.clear();
  }

  /** install adds the OpenAPI routes to an express app. */
  install(app: express.Express): void {
    app.get('/openapi/v2', (req, res) => {
      const format = openAPIV2Format(req.headers.accept);
      if (!format) throw new StatusError(406, 'NotAcceptable', 'only application/json and application/com.github.proto-openapi.spec.v2.v1.0+protobuf are served for /openapi/v2');
      if (format === 'json') return send(res, 200, this.documentV2());
      const body = this.documentV2Protobuf();
      res.writeHead(200, { 'Content-Type': OPENAPI_V2_PROTOBUF_CONTENT_TYPE, 'Content-Length': body.length, 'Cache-Control': 'no-cache, private', Vary: 'Accept' });
      res.end(body);
    });
    app.get('/openapi/v3', (_req, res) => send(res, 200, this.rootV3()));
    app.get(/^\/openapi\/v3\/(apis?\/.+)$/, (req, res) => {
      const path = (req.params as Record<string, string>)[0];
      const doc = this.documentV3(path);
      if (!doc) throw new StatusError(404, 'NotFound', 'the server could not find the requested resource');
      send(res, 200, doc.body, 'json', { Etag: `"${doc.hash}"` });
    });
  }

  /** documentV2 is the whole Swagger 2.0 document. */
  documentV2(): string {
    this.refresh();
    if (!this.v2) {
      const defs: Record<string, JSONSchema> = {};
      for (const [name, schema] of Object.entries(definitions)) defs[name] = withPatchExtensions(name, schema);
      for (const def of this.resources.all()) {
        if (!def.definitionName) defs[customDefinitionName(def)] = customSchema(def, V2_REF);
      }
      this.v2 = JSON.stringify({
        swagger: '2.0',
        info: { title: 'Kubernetes', version: `v1.${KUBERNETES_MINOR}.0` },
        paths: pathsFor(this.resources.all(), V2_REF),
        definitions: defs,
      });
    }
    return this.v2;
  }

  /** documentV2Protobuf is documentV2 as the gnostic openapi_v2.Document protobuf message. */
  documentV2Protobuf(): Buffer {
    const json = this.documentV2();
    if (!this.v2Protobuf) this.v2Protobuf = encodeOpenAPIV2(JSON.parse(json));
    return this.v2Protobuf;
  }

  /** rootV3 lists the per group-version documents. */
  rootV3(): string {
    this.refresh();
    const paths: Record<string, { serverRelativeURL: string }> = {};
    for (const g of this.resources.groups()) {
      for (const v of g.versions) {
        const p = g.group ? `apis/${g.group}/${v}` : `api/${v}`;
        const doc = this.documentV3(p)!;
        paths[p] = { serverRelativeURL: `/openapi/v3/${p}?hash=${doc.hash}` };
      }
    }
    return JSON.stringify({ paths });
  }

  /** documentV3 is the OpenAPI 3.0 document of one group-version path (api/v1, apis/apps/v1). */
  documentV3(path: string): { body: string; hash: string } | undefined {
    this.refresh();
    const cached = this.v3.get(path);
    if (cached) return cached;
    const m = /^api\/([^/]+)$/.exec(path) ?? /^apis\/([^/]+)\/([^/]+)$/.exec(path);
    if (!m) return undefined;
    const [group, version] = m.length === 2 ? ['', m[1]] : [m[1], m[2]];
    const defs = this.resources.resourcesOf(group, version);
    if (defs.length === 0) return undefined;
    const schemas: Record<string, JSONSchema> = {};
    const pending: string[] = [];
    for (const def of defs) {
      if (def.definitionName) pending.push(def.definitionName);
      else schemas[customDefinitionName(def)] = customSchema(def, '#/components/schemas/');
    }
    // Meta types every document carries, as kube-apiserver's do.
    pending.push('io.k8s.apimachinery.pkg.apis.meta.v1.Status', 'io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions', 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta', 'io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta');
    if (defs.some((d) => d.subresources.scale)) pending.push('io.k8s.api.autoscaling.v1.Scale');
    for (let name = pending.pop(); name !== undefined; name = pending.pop()) {
      if (schemas[name] || !(name in definitions)) continue;
      const v3 = withPatchExtensions(name, toOpenAPIV3(name));
      schemas[name] = v3;
      collectRefs(v3, pending);
    }
    const body = JSON.stringify({
      openapi: '3.0.0',
      info: { title: 'Kubernetes', version: `v1.${KUBERNETES_MINOR}.0` },
      paths: pathsFor(defs, '#/components/schemas/'),
      components: { schemas },
    });
    const doc = { body, hash: createHash('sha512').update(body).digest('hex').slice(0, 128).toUpperCase() };
    this.v3.set(path, doc);
    return doc;
  }
}

/**
 * openAPIV2Format picks the form of /openapi/v2 the Accept header asks for first, as
 * kube-openapi does: JSON (also for no Accept header and for wildcards) or the gnostic
 * protobuf, under its old name (what kubectl sends) or its new one; undefined is a 406.
 */
export function openAPIV2Format(accept: string | undefined): 'json' | 'protobuf' | undefined {
  if (!accept || accept.trim() === '') return 'json';
  for (const clause of accept.split(',')) {
    const type = clause.split(';')[0].trim().toLowerCase();
    if (type === 'application/json' || type === '*/*' || type === 'application/*') return 'json';
    if (type === OPENAPI_V2_PROTOBUF || type === OPENAPI_V2_PROTOBUF_CONTENT_TYPE) return 'protobuf';
  }
  return undefined;
}

/** withPatchExtensions adds the x-kubernetes-* list, map and patch extensions of a built-in definition. */
function withPatchExtensions(name: string, schema: JSONSchema): JSONSchema {
  const props = schema.properties as Record<string, JSONSchema> | undefined;
  const mapType = definitionMapType(name);
  if (!props && !mapType) return schema;
  const out: JSONSchema = { ...schema };
  if (mapType) out['x-kubernetes-map-type'] = mapType;
  if (props) {
    out.properties = Object.fromEntries(
      Object.entries(props).map(([field, prop]) => {
        const meta = patchMetaFor(name, field);
        return [field, meta ? { ...prop, ...openAPIExtensions(meta) } : prop];
      }),
    );
  }
  return out;
}

function collectRefs(schema: unknown, out: string[]): void {
  if (Array.isArray(schema)) {
    for (const s of schema) collectRefs(s, out);
    return;
  }
  if (schema === null || typeof schema !== 'object') return;
  for (const [k, v] of Object.entries(schema)) {
    if (k === '$ref' && typeof v === 'string') out.push(v.slice(v.lastIndexOf('/') + 1));
    else collectRefs(v, out);
  }
}

/** customDefinitionName names a run-time kind's definition the way CRDs are published: reversed group, version, kind. */
export function customDefinitionName(def: ResourceDefinition): string {
  return `${def.group.split('.').reverse().join('.')}.${def.version}.${def.kind}`;
}

// customSchema publishes a run-time kind (a CRD version) as kube-apiserver's CRD OpenAPI builder
// does: its structural schema with ObjectMeta, apiVersion and kind, simplified for OpenAPI v2.
function customSchema(def: ResourceDefinition, refPrefix: string): JSONSchema {
  const schema = publishedSchema(def.schema, refPrefix, refPrefix === V2_REF);
  schema['x-kubernetes-group-version-kind'] = [{ group: def.group, version: def.version, kind: def.kind }];
  return schema;
}

// pathsFor publishes the operations of each resource, so clients can see which verbs and
// query parameters exist.
function pathsFor(defs: ResourceDefinition[], refPrefix: string): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  for (const def of defs) {
    const gv = groupVersion(def.group, def.version);
    const root = def.group ? `/apis/${gv}` : `/api/${gv}`;
    const collection = def.namespaced ? `${root}/namespaces/{namespace}/${def.plural}` : `${root}/${def.plural}`;
    const ref = { $ref: `${refPrefix}${def.definitionName ?? customDefinitionName(def)}` };
    const gvk = { group: def.group, version: def.version, kind: def.kind };
    const v3 = refPrefix.startsWith('#/components');
    const param = (name: string) => (v3 ? { name, in: 'query', schema: { type: 'string', uniqueItems: true } } : { name, in: 'query', type: 'string', uniqueItems: true });
    // Writes advertise dryRun, fieldManager and fieldValidation: kubectl looks for them before
    // it relies on server-side dry-run and field validation.
    const writeParams = ['dryRun', 'fieldManager', 'fieldValidation'].map(param);
    const op = (action: string, id: string) => ({
      operationId: `${id}${def.kind}`,
      'x-kubernetes-action': action,
      'x-kubernetes-group-version-kind': gvk,
      ...(['post', 'put', 'patch'].includes(action) ? { parameters: writeParams } : {}),
      responses: { '200': v3 ? { description: 'OK', content: { 'application/json': { schema: ref } } } : { description: 'OK', schema: ref } },
    });
    paths[collection] = { get: op('list', 'list'), post: op('post', 'create'), delete: op('deletecollection', 'deleteCollection') };
    paths[`${collection}/{name}`] = { get: op('get', 'read'), put: op('put', 'replace'), patch: op('patch', 'patch'), delete: op('delete', 'delete') };
  }
  return paths;
}
