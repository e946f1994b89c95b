const { createNodeless } = require('./dist/server/server');
const http = require('http');
function req(port, method, path, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const r = http.request({ port, method, path, headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      let d = ''; res.on('data', (c) => (d += c)); res.on('end', () => resolve({ status: res.statusCode, body: d.slice(0, 300), headers: res.headers }));
    });
    r.on('error', reject);
    if (body !== undefined) r.end(body); else r.end();
  });
}
(async () => {
  const n = await createNodeless({ databasePath: ':memory:' });
  const srv = await n.listen(0, '127.0.0.1');
  const port = srv.address().port;
  const cm = '/api/v1/namespaces/default/configmaps';
  const show = async (label, p) => { const r = await p; console.log(label, r.status, r.body.slice(0, 200)); return r; };
  await show('create', req(port, 'POST', cm, JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' }, data: { k: 'v' } })));
  let y = '- '.repeat(5000) + 'x\n';
  await show('yaml5000', req(port, 'POST', cm, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: y\ndata:\n  k: ' + '['.repeat(5000) + ']'.repeat(5000), { 'content-type': 'application/yaml' }));
  await show('yaml5000b', req(port, 'POST', cm, y, { 'content-type': 'application/yaml' }));
  await show('json2000 data', req(port, 'POST', cm, '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"d"},"data":{"k":' + '{"a":'.repeat(2000) + '1' + '}'.repeat(2000) + '}}'));
  await show('json999 data', req(port, 'POST', cm, '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"d"},"data":{"k":' + '{"a":'.repeat(996) + '1' + '}'.repeat(996) + '}}'));
  await show('json999 labels', req(port, 'POST', cm, '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"d","labels":{"k":' + '['.repeat(996) + ']'.repeat(996) + '}}}'));
  await show('merge5000', req(port, 'PATCH', cm + '/a', '{"data":' + '{"a":'.repeat(5000) + '1' + '}'.repeat(5000) + '}', { 'content-type': 'application/merge-patch+json' }));
  await show('merge999', req(port, 'PATCH', cm + '/a', '{"data":' + '{"a":'.repeat(998) + '1' + '}'.repeat(998) + '}', { 'content-type': 'application/merge-patch+json' }));
  await show('smp999', req(port, 'PATCH', cm + '/a', '{"data":' + '{"a":'.repeat(998) + '1' + '}'.repeat(998) + '}', { 'content-type': 'application/strategic-merge-patch+json' }));
  await show('1e400', req(port, 'POST', cm, '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"e","generation":1e400}}'));
  await show('bigint', req(port, 'POST', cm, '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"e","generation":9007199254740993}}'));
  await show('yaml 1e400', req(port, 'POST', cm, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: e\n  generation: 1e400\n', { 'content-type': 'application/yaml' }));
  await show('yaml big', req(port, 'POST', cm, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: e\n  generation: 9007199254740993\n', { 'content-type': 'application/yaml' }));
  await show('yaml ok', req(port, 'POST', cm, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: yok\ndata:\n  a: "1"\n', { 'content-type': 'application/yaml' }));
  await show('ns a b', req(port, 'GET', '/api/v1/namespaces/a%20b/configmaps'));
  await show('ns %00', req(port, 'GET', '/api/v1/namespaces/%00/configmaps?watch=1'));
  await show('cm 1.2MB', req(port, 'POST', cm, JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'big' }, data: { x: 'a'.repeat(1200000) } })));
  await show('secret 2MB', req(port, 'POST', '/api/v1/namespaces/default/secrets', JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'big' }, data: { x: Buffer.alloc(2000000).toString('base64') } })));
  await show('secret 1MB+ann', req(port, 'POST', '/api/v1/namespaces/default/secrets', JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'big2', annotations: { a: 'x'.repeat(250000) } }, data: { x: Buffer.alloc(1000000).toString('base64') } })));
  await show('cm 1MB', req(port, 'POST', cm, JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'big1' }, data: { x: 'a'.repeat(1000000) } })));
  const ops = []; for (let i = 0; i < 100; i++) ops.push({ op: 'copy', from: '/data', path: '/data/c' + i });
  await show('copy100', req(port, 'PATCH', cm + '/big1', JSON.stringify(ops), { 'content-type': 'application/json-patch+json' }));
  const ops2 = []; for (let i = 0; i < 100; i++) ops2.push({ op: 'copy', from: '/metadata', path: '/metadata/annotations' });
  await show('copymeta', req(port, 'PATCH', cm + '/a', JSON.stringify([{op:'add',path:'/metadata/annotations',value:{}}, ...ops2]), { 'content-type': 'application/json-patch+json' }));
  const dup = '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"dup"},"data":{' + Array.from({ length: 3000 }, (_, i) => `"k${i}":"1","k${i}":"2"`).join(',') + '}}';
  const r = await req(port, 'POST', cm, dup); console.log('dup', r.status, (r.headers.warning || '').length);
  await show('431', req(port, 'GET', '/api/v1/namespaces', undefined, { 'x-big': 'a'.repeat(20000) }));
  await n.close();
})().catch((e) => { console.error(e); process.exit(1); });
