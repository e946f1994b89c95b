/**
 * The instance catalog: families of sizes (vCPU with the memory steps each allows, as on AWS
 * Fargate), their zones, capacity types and prices per vCPU-second, GiB-second and GPU-second.
 * defaultCatalog is built in; parseCatalog reads a replacement from YAML and names the first
 * problem it finds.
 */
import { parse as parseYaml } from 'yaml';
import { QuantityError, milliValue, parseQuantity, value } from '../../schemas/meta/quantity';

/** CapacityType is how an instance is bought: on-demand, or spot (cheaper, may be reclaimed). */
export type CapacityType = 'on-demand' | 'spot';

/** capacityTypes lists the capacity types in preference order: on-demand unless spot is asked for. */
export const capacityTypes: readonly CapacityType[] = ['on-demand', 'spot'];

/** Prices are USD per second of one vCPU, one GiB of memory and one GPU. */
export interface Prices {
  vcpuSecond: number;
  gibSecond: number;
  gpuSecond: number;
}

/** InstanceSize is one purchasable shape; id is also its node.kubernetes.io/instance-type value. */
export interface InstanceSize {
  id: string;
  family: string;
  milliCPU: number;
  memoryBytes: number;
  gpus: number;
}

/** InstanceFamily is a set of sizes sold in the same zones at the same unit prices. */
export interface InstanceFamily {
  name: string;
  /** gpu names the extended resource the family's GPUs satisfy (nvidia.com/gpu) and their model. */
  gpu?: { resource: string; model: string };
  zones: string[];
  /** prices has an entry for every capacity type the family is sold as. */
  prices: Partial<Record<CapacityType, Prices>>;
  /** sizes are sorted by vCPU, then memory, then GPUs. */
  sizes: InstanceSize[];
}

/** Catalog is every family an account can buy, in one region. */
export interface Catalog {
  region: string;
  families: InstanceFamily[];
}

/** CatalogError is a malformed catalog; its message names the source and the offending field. */
export class CatalogError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CatalogError';
  }
}

/** GiB is 2^30 bytes. */
export const GiB = 1024 ** 3;

/** sizeId is the id of a size: "<family>-<vcpu>vcpu-<memory>gb" with "-<n>gpu" for GPU sizes. */
export function sizeId(family: string, milliCPU: number, memoryBytes: number, gpus: number): string {
  const mem = Number((memoryBytes / GiB).toFixed(3));
  return `${family}-${milliCPU / 1000}vcpu-${mem}gb${gpus ? `-${gpus}gpu` : ''}`;
}

/** pricePerSecond is what one second of size costs at prices. */
export function pricePerSecond(size: InstanceSize, prices: Prices): number {
  return (size.milliCPU / 1000) * prices.vcpuSecond + (size.memoryBytes / GiB) * prices.gibSecond + size.gpus * prices.gpuSecond;
}

function steps(fromGiB: number, toGiB: number, stepGiB: number): number[] {
  const out: number[] = [];
  for (let g = fromGiB; g <= toGiB + 1e-9; g += stepGiB) out.push(g);
  return out;
}

function buildSizes(family: string, shapes: Array<{ milliCPU: number; memoryGiB: number[]; gpus?: number }>): InstanceSize[] {
  const sizes = shapes.flatMap(({ milliCPU, memoryGiB, gpus = 0 }) =>
    memoryGiB.map((g) => ({ id: sizeId(family, milliCPU, g * GiB, gpus), family, milliCPU, memoryBytes: Math.round(g * GiB), gpus })),
  );
  return sortSizes(sizes);
}

function sortSizes(sizes: InstanceSize[]): InstanceSize[] {
  return sizes.sort((a, b) => a.milliCPU - b.milliCPU || a.memoryBytes - b.memoryBytes || a.gpus - b.gpus);
}

// Fargate's Linux/x86 on-demand list prices in us-east-1 ($0.04048 per vCPU-hour, $0.004445 per
// GB-hour), per second; spot at the usual 70% discount.
const standardOnDemand: Prices = { vcpuSecond: 0.04048 / 3600, gibSecond: 0.004445 / 3600, gpuSecond: 0 };
const standardSpot: Prices = { vcpuSecond: 0.012144 / 3600, gibSecond: 0.0013335 / 3600, gpuSecond: 0 };
const defaultZones = ['nodeless-1a', 'nodeless-1b', 'nodeless-1c'];

/**
 * defaultCatalog is the built-in catalog: the "standard" family with Fargate's vCPU/memory
 * combinations (74 sizes) and a "gpu" family of NVIDIA T4 sizes, both on-demand and spot.
 */
export function defaultCatalog(): Catalog {
  return {
    region: 'nodeless-1',
    families: [
      {
        name: 'standard',
        zones: [...defaultZones],
        prices: { 'on-demand': { ...standardOnDemand }, spot: { ...standardSpot } },
        sizes: buildSizes('standard', [
          { milliCPU: 250, memoryGiB: [0.5, 1, 2] },
          { milliCPU: 500, memoryGiB: steps(1, 4, 1) },
          { milliCPU: 1000, memoryGiB: steps(2, 8, 1) },
          { milliCPU: 2000, memoryGiB: steps(4, 16, 1) },
          { milliCPU: 4000, memoryGiB: steps(8, 30, 1) },
          { milliCPU: 8000, memoryGiB: steps(16, 60, 4) },
          { milliCPU: 16000, memoryGiB: steps(32, 120, 8) },
        ]),
      },
      {
        name: 'gpu',
        gpu: { resource: 'nvidia.com/gpu', model: 'nvidia-tesla-t4' },
        zones: ['nodeless-1a', 'nodeless-1b'],
        prices: {
          'on-demand': { ...standardOnDemand, gpuSecond: 0.35 / 3600 },
          spot: { ...standardSpot, gpuSecond: 0.105 / 3600 },
        },
        sizes: buildSizes('gpu', [
          { milliCPU: 4000, memoryGiB: [16], gpus: 1 },
          { milliCPU: 8000, memoryGiB: [32], gpus: 1 },
          { milliCPU: 16000, memoryGiB: [64], gpus: 1 },
          { milliCPU: 48000, memoryGiB: [192], gpus: 4 },
        ]),
      },
    ],
  };
}

/** allSizes lists every size of the catalog, family by family. */
export function allSizes(catalog: Catalog): InstanceSize[] {
  return catalog.families.flatMap((f) => f.sizes);
}

// ---------------------------------------------------------------------------
// Reading a catalog from YAML.

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const labelValue = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

class Reader {
  constructor(private readonly source: string) {}

  fail(path: string, message: string): never {
    throw new CatalogError(`${this.source}: ${path}: ${message}`);
  }

  object(v: unknown, path: string): Json {
    if (!isObject(v)) this.fail(path, `must be a mapping, got ${describe(v)}`);
    return v;
  }

  list(v: unknown, path: string): unknown[] {
    if (!Array.isArray(v) || v.length === 0) this.fail(path, `must be a non-empty list, got ${describe(v)}`);
    return v;
  }

  name(v: unknown, path: string): string {
    if (typeof v !== 'string' || v === '' || v.length > 63 || !labelValue.test(v)) {
      this.fail(path, `must be a valid label value (letters, digits, '-', '_', '.'; at most 63 characters), got ${describe(v)}`);
    }
    return v;
  }

  price(v: unknown, path: string): number {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) this.fail(path, `must be a non-negative number (USD per second), got ${describe(v)}`);
    return v;
  }

  quantity(v: unknown, path: string, unit: 'milli' | 'bytes'): number {
    if (typeof v !== 'string' && typeof v !== 'number') this.fail(path, `must be a quantity such as "2Gi" or 0.5, got ${describe(v)}`);
    let n: number;
    try {
      const q = parseQuantity(typeof v === 'string' ? v.trim() : v);
      if (q.sign <= 0) this.fail(path, `must be positive, got ${describe(v)}`);
      n = unit === 'milli' ? milliValue(q) : value(q);
    } catch (err) {
      if (err instanceof QuantityError) this.fail(path, `invalid quantity ${describe(v)}: ${err.message}`);
      throw err;
    }
    return n;
  }
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return JSON.stringify(v);
}

function readPrices(r: Reader, v: unknown, path: string): Prices {
  const o = r.object(v, path);
  for (const k of Object.keys(o)) if (!['vcpuSecond', 'gibSecond', 'gpuSecond'].includes(k)) r.fail(`${path}.${k}`, 'unknown field (expected vcpuSecond, gibSecond, gpuSecond)');
  return {
    vcpuSecond: r.price(o.vcpuSecond, `${path}.vcpuSecond`),
    gibSecond: r.price(o.gibSecond, `${path}.gibSecond`),
    gpuSecond: o.gpuSecond === undefined ? 0 : r.price(o.gpuSecond, `${path}.gpuSecond`),
  };
}

function readMemory(r: Reader, v: unknown, path: string): number[] {
  if (Array.isArray(v)) return r.list(v, path).map((m, i) => r.quantity(m, `${path}[${i}]`, 'bytes'));
  if (isObject(v)) {
    const from = r.quantity(v.from, `${path}.from`, 'bytes');
    const to = r.quantity(v.to, `${path}.to`, 'bytes');
    const step = r.quantity(v.step, `${path}.step`, 'bytes');
    if (to < from) r.fail(path, `"to" (${v.to}) is less than "from" (${v.from})`);
    if ((to - from) / step > 1000) r.fail(path, 'more than 1000 memory steps');
    const out: number[] = [];
    for (let m = from; m <= to; m += step) out.push(m);
    return out;
  }
  return [r.quantity(v, path, 'bytes')];
}

/** parseCatalogObject validates a decoded catalog document; source names it in error messages. */
export function parseCatalogObject(doc: unknown, source = 'catalog'): Catalog {
  const r = new Reader(source);
  const root = r.object(doc, '(root)');
  const region = root.region === undefined ? 'nodeless-1' : r.name(root.region, 'region');
  const families: InstanceFamily[] = [];
  const seen = new Set<string>();
  r.list(root.families, 'families').forEach((fv, fi) => {
    const path = `families[${fi}]`;
    const f = r.object(fv, path);
    const name = r.name(f.name, `${path}.name`);
    if (seen.has(name)) r.fail(`${path}.name`, `duplicate family "${name}"`);
    seen.add(name);
    const zones = f.zones === undefined ? [...defaultZones] : r.list(f.zones, `${path}.zones`).map((z, i) => r.name(z, `${path}.zones[${i}]`));
    const pricesObj = r.object(f.prices, `${path}.prices`);
    const prices: Partial<Record<CapacityType, Prices>> = {};
    for (const [k, pv] of Object.entries(pricesObj)) {
      if (!capacityTypes.includes(k as CapacityType)) r.fail(`${path}.prices.${k}`, `unknown capacity type (expected ${capacityTypes.join(' or ')})`);
      prices[k as CapacityType] = readPrices(r, pv, `${path}.prices.${k}`);
    }
    if (Object.keys(prices).length === 0) r.fail(`${path}.prices`, 'must price at least one capacity type');
    let gpu: InstanceFamily['gpu'];
    if (f.gpu !== undefined) {
      const g = r.object(f.gpu, `${path}.gpu`);
      gpu = { resource: typeof g.resource === 'string' && g.resource ? g.resource : 'nvidia.com/gpu', model: g.model === undefined ? 'gpu' : r.name(g.model, `${path}.gpu.model`) };
    }
    const sizes: InstanceSize[] = [];
    r.list(f.sizes, `${path}.sizes`).forEach((sv, si) => {
      const sp = `${path}.sizes[${si}]`;
      const s = r.object(sv, sp);
      const milliCPU = r.quantity(s.vcpu, `${sp}.vcpu`, 'milli');
      const gpus = s.gpus === undefined ? 0 : Number(s.gpus);
      if (!Number.isInteger(gpus) || gpus < 0) r.fail(`${sp}.gpus`, `must be a non-negative integer, got ${describe(s.gpus)}`);
      if (gpus > 0 && !gpu) r.fail(`${sp}.gpus`, 'a size with GPUs needs the family to declare gpu');
      for (const memoryBytes of readMemory(r, s.memory, `${sp}.memory`)) {
        sizes.push({ id: sizeId(name, milliCPU, memoryBytes, gpus), family: name, milliCPU, memoryBytes, gpus });
      }
    });
    const ids = new Set<string>();
    for (const s of sizes) {
      if (ids.has(s.id)) r.fail(`${path}.sizes`, `size ${s.id} is listed twice`);
      ids.add(s.id);
    }
    families.push({ name, gpu, zones, prices, sizes: sortSizes(sizes) });
  });
  return { region, families };
}

/** parseCatalog reads a catalog from YAML (or JSON) text; source (a file name) prefixes error messages. */
export function parseCatalog(text: string, source = 'catalog'): Catalog {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new CatalogError(`${source}: not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  return parseCatalogObject(doc, source);
}
