import { startTestServer } from '../helpers/api-server';
it('probe', async () => {
  const t = await startTestServer();
  const r = await t.api.get('/apis').set('Accept', 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
  const lines: string[] = [];
  for (const g of r.body.items) for (const v of g.versions) lines.push(`${g.metadata.name} ${v.version} ${v.resources.map((x: any) => x.resource).join(',')}`);
  const c = await t.api.get('/api').set('Accept', 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
  lines.push(JSON.stringify(c.body).slice(0, 300), c.headers['content-type']);
  lines.push(JSON.stringify((await t.api.get('/version')).body));
  lines.push(JSON.stringify((await t.api.get('/apis')).body).slice(0, 3000));
  console.log(lines.join('\n'));
  await t.close();
});
