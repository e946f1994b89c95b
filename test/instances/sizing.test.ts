import { annotation } from '../../controllers/instances/annotations';
import { defaultCatalog } from '../../controllers/instances/catalog';
import { decideSize, instanceAnnotations, podNeed } from '../../controllers/instances/sizing';
import { container, pod } from './fixtures';

const catalog = defaultCatalog();
const Mi = 1024 ** 2;
const Gi = 1024 ** 3;

function placed(p: ReturnType<typeof pod>) {
  const d = decideSize(p, catalog);
  if (!d.schedulable) throw new Error(`unexpectedly unschedulable: ${d.message}`);
  return d.placement;
}

describe('pod need', () => {
  it('sums app containers and takes requests, else limits, else the default', () => {
    const p = pod('p', { containers: [container('a', { cpu: '250m', memory: '256Mi' }), container('b', undefined, { cpu: '500m', memory: '1Gi' }), container('c')] });
    expect(podNeed(p, catalog)).toEqual({ milliCPU: 750, memoryBytes: 256 * Mi + Gi, gpus: 0 });
    expect(podNeed(p, catalog, { defaultRequests: { cpu: '100m', memory: '128Mi' } })).toEqual({ milliCPU: 850, memoryBytes: 384 * Mi + Gi, gpus: 0 });
  });

  it('takes the largest init container when it exceeds the app containers, counting sidecars started before it', () => {
    const p = pod('p', {
      initContainers: [
        container('sidecar', { cpu: '500m', memory: '512Mi' }, undefined, { restartPolicy: 'Always' }),
        container('migrate', { cpu: '2', memory: '1Gi' }),
      ],
      containers: [container('app', { cpu: '1', memory: '2Gi' })],
    });
    // init: migrate 2 + sidecar 0.5 = 2.5 vCPU, 1.5Gi; app phase: 1 + 0.5 = 1.5 vCPU, 2.5Gi.
    expect(podNeed(p, catalog)).toEqual({ milliCPU: 2500, memoryBytes: 2.5 * Gi, gpus: 0 });
  });

  it('adds pod overhead and counts nvidia.com/gpu', () => {
    const p = pod('p', { overhead: { cpu: '250m', memory: '256Mi' }, containers: [container('a', { cpu: '1', memory: '1Gi' }, { 'nvidia.com/gpu': '1' })] });
    expect(podNeed(p, catalog)).toEqual({ milliCPU: 1250, memoryBytes: 1280 * Mi, gpus: 1 });
  });

  it('refuses an invalid quantity with an unschedulable decision naming the field', () => {
    const d = decideSize(pod('p', { containers: [container('a', { cpu: 'lots' })] }), catalog);
    expect(d.schedulable).toBe(false);
    if (!d.schedulable) expect(d.message).toMatch(/spec\.containers\[0\]\.resources\.requests\[cpu\]: invalid quantity "lots"/);
  });
});

describe('sizing', () => {
  it('gives a pod without requests the smallest size, on-demand, in the first zone', () => {
    const pl = placed(pod('p'));
    expect(pl.size.id).toBe('standard-0.25vcpu-0.5gb');
    expect(pl.capacityType).toBe('on-demand');
    expect(pl.zone).toBe('nodeless-1a');
  });

  it('rounds up to the smallest covering size', () => {
    expect(placed(pod('p', { containers: [container('a', { cpu: '300m', memory: '600Mi' })] })).size.id).toBe('standard-0.5vcpu-1gb');
    expect(placed(pod('p', { containers: [container('a', { cpu: '1', memory: '9Gi' })] })).size.id).toBe('standard-2vcpu-9gb');
    expect(placed(pod('p', { containers: [container('a', { cpu: '6', memory: '1Gi' })] })).size.id).toBe('standard-8vcpu-16gb');
    expect(placed(pod('p', { containers: [container('a', { cpu: '9', memory: '33Gi' })] })).size.id).toBe('standard-16vcpu-40gb');
  });

  it('puts a GPU pod on the GPU family and keeps other pods off it', () => {
    const gpuPod = pod('p', { containers: [container('a', { cpu: '2', memory: '8Gi', 'nvidia.com/gpu': '1' })] });
    expect(placed(gpuPod).size.id).toBe('gpu-4vcpu-16gb-1gpu');
    const big = decideSize(pod('p', { containers: [container('a', { cpu: '40' })] }), catalog);
    expect(big.schedulable).toBe(false);
    if (!big.schedulable) expect(big.message).toContain('4 reserved for pods requesting nvidia.com/gpu');
  });

  it('honours nodeSelector on zone, capacity type and instance type', () => {
    const spot = placed(pod('p', { nodeSelector: { 'nodeless.dev/capacity-type': 'spot', 'topology.kubernetes.io/zone': 'nodeless-1c' } }));
    expect(spot).toMatchObject({ capacityType: 'spot', zone: 'nodeless-1c' });
    expect(spot.pricePerSecond).toBeLessThan(placed(pod('q')).pricePerSecond);
    expect(placed(pod('p', { nodeSelector: { 'node.kubernetes.io/instance-type': 'standard-4vcpu-8gb' } })).size.id).toBe('standard-4vcpu-8gb');
    expect(placed(pod('p', { nodeSelector: { 'karpenter.sh/capacity-type': 'spot' } })).capacityType).toBe('spot');
    expect(placed(pod('p', { nodeSelector: { 'kubernetes.io/os': 'linux' } })).size.id).toBe('standard-0.25vcpu-0.5gb');
  });

  it('honours required node affinity: terms are ORed, expressions ANDed, NotIn excludes', () => {
    const affinity = (terms: object[]) => ({ nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } } });
    const p = pod('p', {
      affinity: affinity([
        { matchExpressions: [{ key: 'topology.kubernetes.io/zone', operator: 'In', values: ['mars-1a'] }] },
        { matchExpressions: [{ key: 'topology.kubernetes.io/zone', operator: 'NotIn', values: ['nodeless-1a'] }, { key: 'nodeless.dev/capacity-type', operator: 'Exists' }] },
      ]),
    });
    // Both capacity types are allowed, so the cheaper one (spot) wins, in the first zone left.
    expect(placed(p)).toMatchObject({ zone: 'nodeless-1b', capacityType: 'spot' });
    // The tolerations a Fargate or virtual-kubelet manifest carries are accepted as they are.
    expect(decideSize(pod('t', { tolerations: [{ key: 'virtual-kubelet.io/provider', operator: 'Exists', effect: 'NoSchedule' }] }), catalog).schedulable).toBe(true);
  });

  it('explains a pod too large for every size in the style of FailedScheduling', () => {
    const d = decideSize(pod('p', { containers: [container('a', { cpu: '20', memory: '300Gi' })] }), catalog);
    expect(d).toMatchObject({ schedulable: false, reason: 'Unschedulable' });
    if (d.schedulable) return;
    expect(d.message).toBe(
      '0/78 instance sizes are available: 74 Insufficient cpu, 74 Insufficient memory, 4 reserved for pods requesting nvidia.com/gpu. ' +
        'The pod requests 20 vCPU and 300Gi memory; the largest size it may use offers 16 vCPU and 120Gi.',
    );
  });

  it('explains a selector that no family satisfies', () => {
    const d = decideSize(pod('p', { nodeSelector: { 'topology.kubernetes.io/zone': 'mars-1a', disktype: 'ssd' } }), catalog);
    expect(d.schedulable).toBe(false);
    if (d.schedulable) return;
    expect(d.message).toContain("74 didn't match Pod's node affinity/selector");
    expect(d.message).toContain('topology.kubernetes.io/zone must be one of nodeless-1a, nodeless-1b, nodeless-1c (pod asks for mars-1a)');
    expect(d.message).toContain('no instance has label disktype');
  });

  it('writes the instance annotations with the price per hour', () => {
    const pl = placed(pod('p', { containers: [container('a', { cpu: '1', memory: '2Gi' })] }));
    const a = instanceAnnotations(pl, 'i-1', 'simulated');
    expect(a).toEqual({
      [annotation.instanceId]: 'i-1',
      [annotation.instanceSize]: 'standard-1vcpu-2gb',
      [annotation.instanceFamily]: 'standard',
      [annotation.zone]: 'nodeless-1a',
      [annotation.capacityType]: 'on-demand',
      [annotation.pricePerHour]: '0.04937',
      [annotation.provider]: 'simulated',
    });
  });
});

describe('a pod without selector or required affinity', () => {
  // Every placement carries kubernetes.io/os=linux, so this affinity allows all of them, through the label matching.
  const everywhere = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/os', operator: 'In', values: ['linux'] }] }] } } };
  const pods = [
    pod('small', { containers: [container('a', { cpu: '250m', memory: '512Mi' })] }),
    pod('none', { containers: [container('a')] }),
    pod('big', { containers: [container('a', { cpu: '7', memory: '40Gi' }), container('b', undefined, { cpu: '500m' })] }),
    pod('gpu', { containers: [container('a', { cpu: '2', memory: '8Gi', 'nvidia.com/gpu': '1' })] }),
    pod('too-big', { containers: [container('a', { cpu: '64', memory: '1Ti' })] }),
    pod('bad', { containers: [container('a', { cpu: 'lots' })] }),
  ];
  it.each(pods.map((p) => [p.metadata.name, p] as const))('%s: decided as when every placement is matched against its labels', (_name, p) => {
    const constrained = { ...p, spec: { ...p.spec, affinity: everywhere } };
    expect(decideSize(p, catalog)).toEqual(decideSize(constrained, catalog));
  });
});
