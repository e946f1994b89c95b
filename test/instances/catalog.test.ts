import { CatalogError, GiB, defaultCatalog, parseCatalog, pricePerSecond } from '../../controllers/instances/catalog';

describe('instance catalog', () => {
  it('builds the Fargate vCPU/memory combinations, with 4 GiB steps at 8 vCPU and 8 GiB steps at 16 vCPU', () => {
    const standard = defaultCatalog().families.find((f) => f.name === 'standard')!;
    const memFor = (milli: number) => standard.sizes.filter((s) => s.milliCPU === milli).map((s) => s.memoryBytes / GiB);
    expect(memFor(250)).toEqual([0.5, 1, 2]);
    expect(memFor(500)).toEqual([1, 2, 3, 4]);
    expect(memFor(1000)).toEqual([2, 3, 4, 5, 6, 7, 8]);
    expect(memFor(2000)).toHaveLength(13);
    expect(memFor(4000)).toEqual(Array.from({ length: 23 }, (_, i) => 8 + i));
    expect(memFor(8000)).toEqual([16, 20, 24, 28, 32, 36, 40, 44, 48, 52, 56, 60]);
    expect(memFor(16000)).toEqual([32, 40, 48, 56, 64, 72, 80, 88, 96, 104, 112, 120]);
    expect(standard.sizes).toHaveLength(74);
    expect(standard.sizes[0].id).toBe('standard-0.25vcpu-0.5gb');
  });

  it('prices a size per vCPU-second and GiB-second, spot cheaper than on-demand', () => {
    const standard = defaultCatalog().families[0];
    const size = standard.sizes.find((s) => s.id === 'standard-1vcpu-2gb')!;
    const onDemand = pricePerSecond(size, standard.prices['on-demand']!);
    expect(onDemand * 3600).toBeCloseTo(0.04048 + 2 * 0.004445, 9);
    expect(pricePerSecond(size, standard.prices.spot!)).toBeLessThan(onDemand);
  });

  it('has a GPU family for nvidia.com/gpu', () => {
    const gpu = defaultCatalog().families.find((f) => f.gpu)!;
    expect(gpu.gpu!.resource).toBe('nvidia.com/gpu');
    expect(gpu.sizes.every((s) => s.gpus > 0)).toBe(true);
  });

  it('reads a catalog from YAML with memory lists, ranges and quantities', () => {
    const c = parseCatalog(`
region: lab
families:
  - name: small
    zones: [lab-a]
    prices:
      on-demand: { vcpuSecond: 0.00001, gibSecond: 0.000001 }
    sizes:
      - { vcpu: 250m, memory: [512Mi, 1Gi] }
      - { vcpu: 2, memory: { from: 4Gi, to: 8Gi, step: 2Gi } }
`, 'lab.yaml');
    expect(c.region).toBe('lab');
    expect(c.families[0].sizes.map((s) => s.id)).toEqual(['small-0.25vcpu-0.5gb', 'small-0.25vcpu-1gb', 'small-2vcpu-4gb', 'small-2vcpu-6gb', 'small-2vcpu-8gb']);
    expect(c.families[0].prices.spot).toBeUndefined();
    expect(c.families[0].prices['on-demand']!.gpuSecond).toBe(0);
  });

  it.each([
    ['not yaml: [', /lab.yaml: not valid YAML/],
    ['families: []', /lab.yaml: families: must be a non-empty list/],
    ['families: [{ name: a, prices: { on-demand: { vcpuSecond: 1, gibSecond: 1 } }, sizes: [{ vcpu: two, memory: 1Gi }] }]', /families\[0\]\.sizes\[0\]\.vcpu: invalid quantity "two"/],
    ['families: [{ name: a, prices: { reserved: { vcpuSecond: 1, gibSecond: 1 } }, sizes: [{ vcpu: 1, memory: 1Gi }] }]', /families\[0\]\.prices\.reserved: unknown capacity type/],
    ['families: [{ name: a, prices: { spot: { vcpuSecond: -1, gibSecond: 1 } }, sizes: [{ vcpu: 1, memory: 1Gi }] }]', /families\[0\]\.prices\.spot\.vcpuSecond: must be a non-negative number/],
    ['families: [{ name: "bad name", prices: { spot: { vcpuSecond: 1, gibSecond: 1 } }, sizes: [{ vcpu: 1, memory: 1Gi }] }]', /families\[0\]\.name: must be a valid label value/],
    ['families: [{ name: a, prices: { spot: { vcpuSecond: 1, gibSecond: 1 } }, sizes: [{ vcpu: 1, memory: 1Gi, gpus: 1 }] }]', /gpus: a size with GPUs needs the family to declare gpu/],
    ['families: [{ name: a, prices: { spot: { vcpuSecond: 1, gibSecond: 1 } }, sizes: [{ vcpu: 1, memory: { from: 4Gi, to: 2Gi, step: 1Gi } }] }]', /"to" \(2Gi\) is less than "from" \(4Gi\)/],
    ['families: [{ name: a, prices: { spot: { vcpuSecond: 1, gibSecond: 1 } }, sizes: [{ vcpu: 1, memory: [1Gi, 1Gi] }] }]', /size a-1vcpu-1gb is listed twice/],
  ])('rejects a malformed catalog with a message naming the problem: %s', (text, message) => {
    expect(() => parseCatalog(text, 'lab.yaml')).toThrow(CatalogError);
    expect(() => parseCatalog(text, 'lab.yaml')).toThrow(message);
  });
});
