/**
 * CRD stalls (issue 16): the longest event-loop stall while ten CRDs of about 700 KB each
 * (shaped like prometheus-operator's) are applied over HTTP, each followed by a create of one
 * of its custom resources once it is Established, beside the same apply of ten small CRDs. The
 * server runs in this process and a timer-drift probe (a 5 ms interval timer) measures how late
 * the loop gets to it: that lateness is what every other request and watch waits. Target:
 * under 100 ms. BENCH_SCALE scales the size of the big CRDs (at least 100 KB).
 */
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createNodeless } from '../../server/server';
import type { KubeObject } from '../../schemas/types';
import { bigCRD, bigCustomResource } from './big-crd';
import { formatFigure, type Figure } from './fixtures';

const scale = Number(process.env.BENCH_SCALE ?? '1');
const CRDS = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';

/** StallProbe measures the longest lateness of a periodic timer between start and stop. */
export class StallProbe {
  private timer?: NodeJS.Timeout;
  private last = 0;
  /** longest is the longest stall seen so far (ms). */
  longest = 0;

  constructor(private readonly periodMs = 5) {}

  start(): void {
    this.longest = 0;
    this.last = performance.now();
    this.timer = setInterval(() => {
      const now = performance.now();
      this.longest = Math.max(this.longest, now - this.last - this.periodMs);
      this.last = now;
    }, this.periodMs);
  }

  stop(): number {
    clearInterval(this.timer);
    this.longest = Math.max(this.longest, performance.now() - this.last - this.periodMs);
    return this.longest;
  }
}

/** smallCRD is a CRD of a few fields, as most operators ship. */
export function smallCRD(index: number): KubeObject {
  const group = `small${index}.example.com`;
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `bigthings${index}.${group}` },
    spec: {
      group,
      scope: 'Namespaced',
      names: { plural: `bigthings${index}`, kind: `BigThing${index}` },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: { spec: { type: 'object', properties: { version: { type: 'string' }, replicas: { type: 'integer', default: 1 } } } },
            },
          },
        },
      ],
    },
  };
}

interface ApplyResult {
  longestStallMs: number;
  totalMs: number;
  bytes: number;
}

// applyAll creates each CRD over HTTP, waits until it is Established, then creates one custom
// resource of it; the probe runs throughout.
async function applyAll(crds: KubeObject[], group: (i: number) => string, cr: (i: number) => KubeObject): Promise<ApplyResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nodeless-crd-stall-'));
  const nodeless = await createNodeless({ databasePath: path.join(dir, 'bench.db'), scheduler: false, controllers: false });
  const server = await nodeless.listen(0, '127.0.0.1');
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const bodies = crds.map((c) => JSON.stringify(c));
  const probe = new StallProbe();
  try {
    await new Promise((r) => setTimeout(r, 100));
    probe.start();
    const t = performance.now();
    for (let i = 0; i < crds.length; i++) {
      const name = (crds[i].metadata as { name: string }).name;
      const res = await fetch(`${base}${CRDS}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: bodies[i] });
      if (res.status !== 201) throw new Error(`CRD create answered ${res.status}: ${(await res.text()).slice(0, 500)}`);
      await res.arrayBuffer();
      for (;;) {
        const got = (await (await fetch(`${base}${CRDS}/${name}`)).json()) as { status?: { conditions?: Array<{ type: string; status: string }> } };
        if (got.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) break;
        await new Promise((r) => setTimeout(r, 10));
      }
      const plural = (crds[i].spec as { names: { plural: string } }).names.plural;
      const created = await fetch(`${base}/apis/${group(i)}/v1/namespaces/default/${plural}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(cr(i)) });
      if (created.status !== 201) throw new Error(`custom resource create answered ${created.status}: ${(await created.text()).slice(0, 500)}`);
      await created.arrayBuffer();
    }
    const totalMs = performance.now() - t;
    return { longestStallMs: probe.stop(), totalMs, bytes: bodies.reduce((n, b) => n + b.length, 0) };
  } finally {
    probe.stop();
    await new Promise((r) => server.close(r));
    await nodeless.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** runCrdStallBench prints the longest event-loop stall of applying ten big CRDs beside ten small ones. */
export async function runCrdStallBench(): Promise<Figure[]> {
  const target = Math.max(100_000, Math.round(700_000 * scale));
  console.log(`\nCRD stalls (longest event-loop stall while applying 10 CRDs over HTTP, each then Established and given one custom resource; server in this process)`);
  const small = await applyAll(Array.from({ length: 10 }, (_, i) => smallCRD(i)), (i) => `small${i}.example.com`, (i) => ({ apiVersion: `small${i}.example.com/v1`, kind: `BigThing${i}`, metadata: { name: 'one' }, spec: { version: 'v1' } }));
  const big = await applyAll(Array.from({ length: 10 }, (_, i) => bigCRD(i, target)), (i) => `big${i}.monitoring.example.com`, (i) => bigCustomResource(i, 'one'));
  const figures: Figure[] = [
    {
      name: `longest stall, 10 CRDs of ${Math.round(big.bytes / 10 / 1000)} KB (${Math.round(big.totalMs)} ms in all)`,
      value: big.longestStallMs,
      unit: 'ms',
      baselineName: `10 small CRDs (${Math.round(small.totalMs)} ms in all)`,
      baseline: small.longestStallMs,
      better: 'lower',
      target: '< 100 ms',
      met: big.longestStallMs < 100,
    },
  ];
  for (const f of figures) console.log(formatFigure(f));
  return figures;
}

if (require.main === module) {
  runCrdStallBench().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
