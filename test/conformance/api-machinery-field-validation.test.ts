/**
 * Conformance: the upstream "[sig-api-machinery] FieldValidation" tests for typed objects
 * (test/e2e/apimachinery/field_validation.go): under fieldValidation=Strict, a Deployment body
 * with unknown or duplicate fields is refused with the decoder's strict-decoding message.
 * The bodies are sent byte for byte as upstream writes them (tab-indented JSON).
 */
import { startTestServer, type TestServer } from '../helpers/api-server';

let t: TestServer;
const ns = 'field-validation';

beforeAll(async () => {
  t = await startTestServer();
  await t.api.post('/api/v1/namespaces').send({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }).expect(201);
});
afterAll(() => t.close());

function postStrict(body: string) {
  return t.api
    .post(`/apis/apps/v1/namespaces/${ns}/deployments?fieldManager=field_validation_mgr&fieldValidation=Strict`)
    .set('Content-Type', 'application/json')
    .send(body);
}

it('[sig-api-machinery] FieldValidation should detect unknown and duplicate fields of a typed object [Conformance]', async () => {
  const invalidMetaDeployment = `{
		"apiVersion": "apps/v1",
		"kind": "Deployment",
		"metadata": {
			"name": "my-dep",
			"labels": {"app": "nginx"}
		},
		"spec": {
			"unknownField": "foo",
			"replicas": 2,
			"replicas": 3,
			"selector": {
				"matchLabels": {
					"app": "nginx"
				}
			},
			"template": {
				"metadata": {
					"labels": {
						"app": "nginx"
					}
				},
				"spec": {
					"containers": [{
						"name":  "nginx",
						"image": "nginx:latest"
					}]
				}
			}
		}
	}`;
  const res = await postStrict(invalidMetaDeployment);
  expect(res.status).toBe(400);
  expect(res.body).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'BadRequest', code: 400 });
  expect(res.body.message).toContain('strict decoding error: unknown field "spec.unknownField", duplicate field "spec.replicas"');
  expect(res.body.message).toBe(
    'Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.unknownField", duplicate field "spec.replicas"',
  );
  await t.api.get(`/apis/apps/v1/namespaces/${ns}/deployments/my-dep`).expect(404);
});

it('[sig-api-machinery] FieldValidation should detect unknown metadata fields of a typed object [Conformance]', async () => {
  const invalidMetaDeployment = `{
		"apiVersion": "apps/v1",
		"kind": "Deployment",
		"metadata": {
			"name": "my-dep",
			"unknownMeta": "foo",
			"labels": {"app": "nginx"}
		},
		"spec": {
			"selector": {
				"matchLabels": {
					"app": "nginx"
				}
			},
			"template": {
				"metadata": {
					"labels": {
						"app": "nginx"
					}
				},
				"spec": {
					"containers": [{
						"name":  "nginx",
						"image": "nginx:latest"
					}]
				}
			}
		}
	}`;
  const res = await postStrict(invalidMetaDeployment);
  expect(res.status).toBe(400);
  expect(res.body).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'BadRequest', code: 400 });
  expect(res.body.message).toContain('strict decoding error: unknown field "metadata.unknownMeta"');
  expect(res.body.message).toBe('Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "metadata.unknownMeta"');
  await t.api.get(`/apis/apps/v1/namespaces/${ns}/deployments/my-dep`).expect(404);
});
