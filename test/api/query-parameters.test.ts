/**
 * Query parameters as kube-apiserver reads them: apimachinery's query conversion (booleans
 * are true unless "0" or "false" in any case, integers follow strconv.ParseInt), the option
 * validation that answers 422 Invalid for ListOptions, CreateOptions, PatchOptions and
 * DeleteOptions, and pretty output. Spellings are the ones real clients send: the Python
 * client writes True/False, kubectl and client-go true/false.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTestServer, waitFor, type TestServer } from '../helpers/api-server';

let t: TestServer;
let server: http.Server;
let base: string;

beforeAll(async () => {
  t = await startTestServer();
  server = http.createServer(t.nodeless.app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  await t.api.post('/api/v1/namespaces').send({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'qp' } }).expect(201);
  for (const name of ['a', 'b', 'c']) await t.api.post(cms).send(cm(name)).expect(201);
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await t.close();
});

const cms = '/api/v1/namespaces/qp/configmaps';
const cm = (name: string, extra: Record<string, unknown> = {}) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, ...extra }, data: { k: name } });

interface Watch {
  status: number;
  events: Array<{ type: string; object: Record<string, any> }>;
  ended: boolean;
  close(): void;
}

// openWatch starts a GET over a real socket and collects newline-framed watch events.
function openWatch(path: string): Promise<Watch> {
  return new Promise((resolve, reject) => {
    const req = http.get(base + path, (res) => {
      const w: Watch = { status: res.statusCode ?? 0, events: [], ended: false, close: () => req.destroy() };
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        let i;
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          if (line.trim()) w.events.push(JSON.parse(line));
        }
      });
      res.on('end', () => (w.ended = true));
      res.on('close', () => (w.ended = true));
      resolve(w);
    });
    req.on('error', (err) => (err.message === 'socket hang up' ? undefined : reject(err)));
  });
}

/** status renders the Status body kube-apiserver writes, byte for byte. */
function status(code: number, reason: string, message: string, details?: Record<string, unknown>): string {
  return JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, details, code }) + '\n';
}

function invalidOptions(kind: string, errors: Array<{ field: string; reason: string; message: string }>): string {
  const rendered = errors.map((e) => `${e.field}: ${e.message}`);
  const summary = rendered.length === 1 ? rendered[0] : `[${rendered.join(', ')}]`;
  return status(422, 'Invalid', `${kind}.meta.k8s.io "" is invalid: ${summary}`, {
    group: 'meta.k8s.io',
    kind,
    causes: errors.map((e) => ({ reason: e.reason, message: e.message, field: e.field })),
  });
}

describe('boolean parameters (Convert_Slice_string_To_bool)', () => {
  it('should open a watch for True (Python), true (kubectl) and every value but false and 0', async () => {
    for (const value of ['True', 'true', 'TRUE', '1', '', 'yes']) {
      const w = await openWatch(`${cms}?watch=${value}`);
      expect(w.status).toBe(200);
      await waitFor(() => w.events.filter((e) => e.type === 'ADDED').length >= 3, `the initial ADDED events of watch=${value}`);
      w.close();
    }
  });

  it('should answer a list for False (Python), false (kubectl), FALSE and 0', async () => {
    for (const value of ['False', 'false', 'FALSE', '0']) {
      const res = await t.api.get(`${cms}?watch=${value}`).expect(200);
      expect(res.body.kind).toBe('ConfigMapList');
    }
  });

  it('should answer a get, not a watch, for a named object with watch=true', async () => {
    const res = await t.api.get(`${cms}/a?watch=true`).expect(200);
    expect(res.body).toMatchObject({ kind: 'ConfigMap', metadata: { name: 'a' } });
  });

  it('should send bookmarks for allowWatchBookmarks=True and any value but false or 0', async () => {
    const rv = await t.nodeless.store.currentRevision();
    for (const value of ['True', 'yes']) {
      const w = await openWatch(`${cms}?watch=True&allowWatchBookmarks=${value}&resourceVersion=${rv}`);
      expect(w.status).toBe(200);
      w.close();
    }
  });

  it('should stream initial events and the initial-events-end bookmark for the Python spelling of sendInitialEvents', async () => {
    const w = await openWatch(`${cms}?watch=True&sendInitialEvents=True&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=True`);
    const bookmark = await waitFor(() => w.events.find((e) => e.type === 'BOOKMARK'), 'the bookmark');
    expect(bookmark.object.metadata.annotations).toEqual({ 'k8s.io/initial-events-end': 'true' });
    expect(w.events.slice(0, w.events.indexOf(bookmark)).map((e) => e.object.metadata.name)).toEqual(expect.arrayContaining(['a', 'b', 'c']));
    w.close();
  });

  it('should accept sendInitialEvents without allowWatchBookmarks and send no bookmark', async () => {
    const w = await openWatch(`${cms}?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan`);
    expect(w.status).toBe(200);
    await waitFor(() => w.events.length >= 3, 'the initial events');
    await new Promise((r) => setTimeout(r, 100));
    expect(w.events.every((e) => e.type === 'ADDED')).toBe(true);
    w.close();
  });

  it('should take force= (an empty value) as true on apply', async () => {
    const applyPath = `${cms}/applied?fieldManager=one`;
    const body = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'applied' }, data: { k: '1' } });
    await t.api.patch(applyPath).set('Content-Type', 'application/apply-patch+yaml').send(body).expect(201);
    const other = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'applied' }, data: { k: '2' } });
    await t.api.patch(`${cms}/applied?fieldManager=two`).set('Content-Type', 'application/apply-patch+yaml').send(other).expect(409);
    const forced = await t.api.patch(`${cms}/applied?fieldManager=two&force=`).set('Content-Type', 'application/apply-patch+yaml').send(other).expect(200);
    expect(forced.body.data.k).toBe('2');
    // Any force, false included, is refused on a non-apply patch.
    const merge = await t.api.patch(`${cms}/applied?force=False`).set('Content-Type', 'application/merge-patch+json').send({ data: { k: '3' } });
    expect(merge.status).toBe(422);
    expect(merge.text).toBe(invalidOptions('PatchOptions', [{ field: 'force', reason: 'FieldValueForbidden', message: 'Forbidden: may not be specified for non-apply patch' }]));
  });
});

describe('integer parameters (strconv.ParseInt)', () => {
  it('should answer 400 with ParseInt\'s message for a bad limit, the empty one included', async () => {
    for (const [value, why] of [['abc', 'invalid syntax'], ['', 'invalid syntax'], ['1.5', 'invalid syntax'], ['99999999999999999999', 'value out of range']]) {
      const res = await t.api.get(`${cms}?limit=${value}`);
      expect(res.status).toBe(400);
      expect(res.text).toBe(status(400, 'BadRequest', `strconv.ParseInt: parsing ${JSON.stringify(value)}: ${why}`));
    }
  });

  it('should read a signed limit and treat a negative one as no limit', async () => {
    const two = await t.api.get(`${cms}?limit=%2B2`).expect(200);
    expect(two.body.items).toHaveLength(2);
    expect(two.body.metadata.continue).toBeDefined();
    const all = await t.api.get(`${cms}?limit=-1`).expect(200);
    expect(all.body.metadata.continue).toBeUndefined();
    expect(all.body.items.length).toBeGreaterThanOrEqual(3);
  });

  it('should decode timeoutSeconds on a list too, and end a watch at once for a negative one', async () => {
    const res = await t.api.get(`${cms}?timeoutSeconds=soon`);
    expect(res.text).toBe(status(400, 'BadRequest', 'strconv.ParseInt: parsing "soon": invalid syntax'));
    const w = await openWatch(`${cms}?watch=1&timeoutSeconds=-1&resourceVersion=${await t.nodeless.store.currentRevision()}`);
    await waitFor(() => w.ended, 'the watch to end', 2000);
  });
});

describe('ListOptions validation (422 Invalid ListOptions.meta.k8s.io)', () => {
  it('should refuse resourceVersionMatch without resourceVersion', async () => {
    const res = await t.api.get(`${cms}?resourceVersionMatch=Exact`);
    expect(res.status).toBe(422);
    expect(res.text).toBe(
      invalidOptions('ListOptions', [
        { field: 'resourceVersionMatch', reason: 'FieldValueForbidden', message: 'Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided' },
      ]),
    );
  });

  it('should list every problem of an unsupported resourceVersionMatch', async () => {
    const res = await t.api.get(`${cms}?resourceVersionMatch=Sometimes`);
    expect(res.text).toBe(
      invalidOptions('ListOptions', [
        { field: 'resourceVersionMatch', reason: 'FieldValueForbidden', message: 'Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided' },
        { field: 'resourceVersionMatch', reason: 'FieldValueNotSupported', message: 'Unsupported value: "Sometimes": supported values: "Exact", "NotOlderThan", ""' },
      ]),
    );
  });

  it('should refuse sendInitialEvents on a list', async () => {
    const res = await t.api.get(`${cms}?sendInitialEvents=False`);
    expect(res.text).toBe(invalidOptions('ListOptions', [{ field: 'sendInitialEvents', reason: 'FieldValueForbidden', message: 'Forbidden: sendInitialEvents is forbidden for list' }]));
  });

  it('should refuse a watch with sendInitialEvents but no resourceVersionMatch, and one with resourceVersionMatch but no sendInitialEvents', async () => {
    const a = await t.api.get(`${cms}?watch=true&sendInitialEvents=true`);
    expect(a.text).toBe(
      invalidOptions('ListOptions', [
        { field: 'resourceVersionMatch', reason: 'FieldValueForbidden', message: 'Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan' },
      ]),
    );
    const b = await t.api.get(`${cms}?watch=true&resourceVersion=1&resourceVersionMatch=NotOlderThan`);
    expect(b.text).toBe(
      invalidOptions('ListOptions', [
        { field: 'resourceVersionMatch', reason: 'FieldValueForbidden', message: 'Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided' },
      ]),
    );
  });
});

describe('write options (422 Invalid CreateOptions / UpdateOptions / PatchOptions)', () => {
  it('should refuse a dryRun other than All, printed as Go prints a []string', async () => {
    const res = await t.api.post(`${cms}?dryRun=all&dryRun=All`).send(cm('dry'));
    expect(res.text).toBe(
      invalidOptions('CreateOptions', [{ field: 'dryRun', reason: 'FieldValueNotSupported', message: 'Unsupported value: []string{"all", "All"}: supported values: "All"' }]),
    );
    await t.api.post(`${cms}?dryRun=All`).send(cm('dry')).expect(201);
    await t.api.get(`${cms}/dry`).expect(404);
  });

  it('should refuse an unknown fieldValidation and accept the empty one', async () => {
    const res = await t.api.put(`${cms}/a?fieldValidation=strict`).send(cm('a'));
    expect(res.text).toBe(
      invalidOptions('UpdateOptions', [
        { field: 'fieldValidation', reason: 'FieldValueNotSupported', message: 'Unsupported value: "strict": supported values: "", "Ignore", "Strict", "Warn"' },
      ]),
    );
    await t.api.put(`${cms}/a?fieldValidation=`).send(cm('a')).expect(200);
  });

  it('should name CreateOptions for a bad fieldManager on create', async () => {
    const res = await t.api.post(`${cms}?fieldManager=${'m'.repeat(129)}`).send(cm('long'));
    expect(res.status).toBe(422);
    expect(res.body.details).toMatchObject({ group: 'meta.k8s.io', kind: 'CreateOptions' });
    expect(res.body.details.causes[0]).toMatchObject({ reason: 'FieldValueTooLong', field: 'fieldManager' });
  });
});

describe('DeleteOptions', () => {
  it('should answer ParseInt\'s 400 for a bad gracePeriodSeconds and take a negative one as 1s', async () => {
    const res = await t.api.delete(`${cms}/a?gracePeriodSeconds=now`);
    expect(res.text).toBe(status(400, 'BadRequest', 'strconv.ParseInt: parsing "now": invalid syntax'));
    await t.api.post(cms).send(cm('neg')).expect(201);
    await t.api.delete(`${cms}/neg?gracePeriodSeconds=-5`).expect(200);
  });

  it('should refuse an unsupported propagationPolicy, the empty one included', async () => {
    for (const policy of ['Sideways', '']) {
      const res = await t.api.delete(`${cms}/a?propagationPolicy=${policy}`);
      expect(res.text).toBe(
        invalidOptions('DeleteOptions', [
          { field: 'propagationPolicy', reason: 'FieldValueNotSupported', message: `Unsupported value: ${JSON.stringify(policy)}: supported values: "Foreground", "Background", "Orphan", "nil"` },
        ]),
      );
    }
  });

  it('should refuse orphanDependents together with propagationPolicy', async () => {
    const res = await t.api.delete(`${cms}/a?orphanDependents=True&propagationPolicy=Background`);
    expect(res.text).toBe(
      invalidOptions('DeleteOptions', [
        { field: 'propagationPolicy', reason: 'FieldValueInvalid', message: 'Invalid value: "Background": orphanDependents and deletionPropagation cannot be both set' },
      ]),
    );
  });

  it('should answer 200 for a delete held by finalizers, and 202 only with orphanDependents=false', async () => {
    await t.api.post(cms).send(cm('held1', { finalizers: ['example.com/hold'] })).expect(201);
    await t.api.post(cms).send(cm('held2', { finalizers: ['example.com/hold'] })).expect(201);
    const plain = await t.api.delete(`${cms}/held1`).expect(200);
    expect(plain.body.metadata.deletionTimestamp).toBeDefined();
    const cascading = await t.api.delete(`${cms}/held2?orphanDependents=False`).expect(202);
    expect(cascading.body.metadata.deletionTimestamp).toBeDefined();
  });

  it('should read the query only when there is no body', async () => {
    await t.api.post(cms).send(cm('bodied')).expect(201);
    // A body is the whole of DeleteOptions: the dryRun in the query is not read.
    await t.api.delete(`${cms}/bodied?dryRun=All`).send({ kind: 'DeleteOptions', apiVersion: 'v1' }).expect(200);
    await t.api.get(`${cms}/bodied`).expect(404);
  });

  it('should turn uid and resourceVersion in the query into preconditions', async () => {
    const created = (await t.api.post(cms).send(cm('pre')).expect(201)).body;
    expect((await t.api.delete(`${cms}/pre?uid=not-${created.metadata.uid}`)).status).toBe(409);
    expect((await t.api.delete(`${cms}/pre?resourceVersion=1`)).status).toBe(409);
    await t.api.delete(`${cms}/pre?uid=${created.metadata.uid}&resourceVersion=${created.metadata.resourceVersion}`).expect(200);
  });
});

describe('pretty', () => {
  const indented = (text: string) => text.startsWith('{\n  "');

  it('should indent JSON for pretty=true or 1, without the trailing newline, as json.MarshalIndent writes', async () => {
    for (const value of ['true', '1', 'True']) {
      const res = await t.api.get(`${cms}/a?pretty=${value}`).expect(200);
      expect(indented(res.text)).toBe(true);
      expect(res.text.endsWith('}')).toBe(true);
    }
    const list = await t.api.get(`${cms}?pretty=true`).expect(200);
    expect(indented(list.text)).toBe(true);
  });

  it('should indent for curl and browsers unless pretty says otherwise', async () => {
    const curl = await t.api.get(`${cms}/a`).set('User-Agent', 'curl/8.5.0').expect(200);
    expect(indented(curl.text)).toBe(true);
    const error = await t.api.get(`${cms}/missing`).set('User-Agent', 'Mozilla/5.0 (X11)').expect(404);
    expect(indented(error.text)).toBe(true);
    for (const value of ['false', 'maybe']) {
      const off = await t.api.get(`${cms}/a?pretty=${value}`).set('User-Agent', 'curl/8.5.0').expect(200);
      expect(off.text.startsWith('{"')).toBe(true);
    }
  });
});
