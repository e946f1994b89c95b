/**
 * Helpers of the CRD suites: CRD manifests, and creating a CRD and waiting until it is
 * Established (or deleting one and waiting until it is gone).
 */
import type supertest from 'supertest';
import { waitFor } from '../helpers/api-server';
import type { ReviewHandler } from '../helpers/webhook-server';

/** CRDS is the collection path of CustomResourceDefinitions. */
export const CRDS = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';

/** TABLE is the Accept header kubectl sends for server-side tables. */
export const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json';

/** CRDOptions shape a test CRD. */
export interface CRDOptions {
  group?: string;
  plural?: string;
  kind?: string;
  scope?: 'Namespaced' | 'Cluster';
  shortNames?: string[];
  categories?: string[];
  schema?: Record<string, unknown>;
  subresources?: Record<string, unknown>;
  columns?: Array<Record<string, unknown>>;
  /** versions as [name, served, storage]; default one served storage version v1 */
  versions?: Array<[string, boolean, boolean]>;
}

/** WIDGET_SCHEMA is a structural schema with a spec and a status. */
export const WIDGET_SCHEMA = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      description: 'WidgetSpec is the desired state of a Widget.',
      properties: {
        replicas: { type: 'integer', minimum: 0, description: 'How many widgets.' },
        color: { type: 'string', enum: ['red', 'green', 'blue'] },
        size: { type: 'string', default: 'M' },
        selector: { type: 'string' },
        port: { 'x-kubernetes-int-or-string': true },
        note: { type: 'string', nullable: true },
      },
    },
    status: {
      type: 'object',
      properties: { replicas: { type: 'integer' }, selector: { type: 'string' }, phase: { type: 'string' } },
    },
  },
};

/** crdManifest builds a CustomResourceDefinition. */
export function crdManifest(o: CRDOptions = {}): Record<string, unknown> {
  const group = o.group ?? 'example.com';
  const kind = o.kind ?? 'Widget';
  const plural = o.plural ?? `${kind.toLowerCase()}s`;
  const versions = (o.versions ?? [['v1', true, true]]).map(([name, served, storage]) => ({
    name,
    served,
    storage,
    schema: { openAPIV3Schema: o.schema ?? WIDGET_SCHEMA },
    ...(o.subresources ? { subresources: o.subresources } : {}),
    ...(o.columns ? { additionalPrinterColumns: o.columns } : {}),
  }));
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${group}` },
    spec: {
      group,
      scope: o.scope ?? 'Namespaced',
      names: { plural, kind, ...(o.shortNames ? { shortNames: o.shortNames } : {}), ...(o.categories ? { categories: o.categories } : {}) },
      versions,
    },
  };
}

/** createEstablished creates a CRD and resolves once it reports Established and its paths serve. */
export async function createEstablished(api: supertest.Agent, crd: Record<string, unknown>): Promise<Record<string, unknown>> {
  const res = await api.post(CRDS).send(crd);
  if (res.status !== 201) throw new Error(`CRD create answered ${res.status}: ${JSON.stringify(res.body)}`);
  const name = (crd.metadata as { name: string }).name;
  return waitFor(async () => {
    const got = await api.get(`${CRDS}/${name}`);
    const conditions = (got.body.status?.conditions ?? []) as Array<{ type: string; status: string }>;
    return conditions.some((c) => c.type === 'Established' && c.status === 'True') ? (got.body as Record<string, unknown>) : undefined;
  }, `CRD ${name} to be established`);
}

/** deleteAndWait deletes a CRD and resolves once it is gone. */
export async function deleteAndWait(api: supertest.Agent, name: string): Promise<void> {
  await api.delete(`${CRDS}/${name}`);
  await waitFor(async () => (await api.get(`${CRDS}/${name}`)).status === 404, `CRD ${name} to be deleted`);
}

type Obj = Record<string, any>;

/** convertPort is the test conversion webhook's conversion: v1 spec.hostPort "h:p" <-> v2 spec.host and spec.port. */
export function convertPort(obj: Obj, desired: string): Obj {
  const out = structuredClone(obj);
  out.apiVersion = desired;
  const spec = out.spec ?? {};
  if (desired.endsWith('/v2') && typeof spec.hostPort === 'string') {
    const [host, port] = spec.hostPort.split(':');
    out.spec = { ...spec, host, port };
    delete out.spec.hostPort;
  } else if (desired.endsWith('/v1') && spec.host !== undefined) {
    out.spec = { ...spec, hostPort: `${spec.host}:${spec.port}` };
    delete out.spec.host;
    delete out.spec.port;
  }
  return out;
}

/** convertingPorts answers a ConversionReview v1 with convertPort. */
export const convertingPorts: ReviewHandler = (review) => ({
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'ConversionReview',
  response: {
    uid: review.request.uid,
    convertedObjects: review.request.objects.map((o: Obj) => convertPort(o, review.request.desiredAPIVersion)),
    result: { status: 'Success' },
  },
});

const SPEC_SCHEMA = (props: Record<string, unknown>) => ({ openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: props } } } });

/** portsConversionCRD is a Port CRD served as v1 (hostPort) and stored as v2 (host, port), converted by the webhook at clientConfig. */
export function portsConversionCRD(group: string, clientConfig: { url: string; caBundle: string }, extra: Record<string, unknown> = {}) {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `ports.${group}` },
    spec: {
      group,
      scope: 'Namespaced',
      names: { plural: 'ports', kind: 'Port' },
      versions: [
        { name: 'v1', served: true, storage: false, schema: SPEC_SCHEMA({ hostPort: { type: 'string' } }) },
        { name: 'v2', served: true, storage: true, schema: SPEC_SCHEMA({ host: { type: 'string' }, port: { type: 'string' } }) },
      ],
      conversion: { strategy: 'Webhook', webhook: { clientConfig, conversionReviewVersions: ['v1', 'v1beta1'] } },
      ...extra,
    },
  };
}
