/**
 * The go-cmp diff a refused pod update carries (ValidatePodUpdate's cmp.Diff of the old and the
 * munged spec): structure only — lines, markers, Go field names, nesting and elisions — since
 * go-cmp itself varies the spaces after its markers.
 */
import { podSpecDiff } from '../../schemas/validation/pod-spec-diff';

const container = () => ({
  name: 'c', image: 'registry.k8s.io/pause:3.9', command: ['sleep', '3600'], ports: [{ containerPort: 80, protocol: 'TCP' }],
  env: [{ name: 'A', value: '1' }], resources: { limits: { cpu: '1' } }, terminationMessagePath: '/dev/termination-log',
  terminationMessagePolicy: 'File', imagePullPolicy: 'IfNotPresent',
});
const spec = (): Record<string, any> => ({
  containers: [container()], restartPolicy: 'Always', terminationGracePeriodSeconds: 30, dnsPolicy: 'ClusterFirst',
  schedulerName: 'default-scheduler', enableServiceLinks: true,
});
const lines = (old: object, next: object) => podSpecDiff(old as any, next as any).split('\n');

describe('podSpecDiff', () => {
  it('prints a changed scalar as a -/+ pair with aligned keys, two fields of context and the rest elided', () => {
    const next = spec();
    next.restartPolicy = 'Never';
    expect(lines(spec(), next)).toEqual([
      '  core.PodSpec{',
      '  \t... // 2 identical fields',
      '  \tContainers:                    {{Name: "c", Image: "registry.k8s.io/pause:3.9", Command: {"sleep", "3600"}, Ports: {{ContainerPort: 80, Protocol: "TCP"}}, Env: {{Name: "A", Value: "1"}}, Resources: {Limits: {"cpu": "1"}}, TerminationMessagePath: "/dev/termination-log", TerminationMessagePolicy: "File", ImagePullPolicy: "IfNotPresent"}},',
      '  \tEphemeralContainers:           nil,',
      '- \tRestartPolicy:                 "Always",',
      '+ \tRestartPolicy:                 "Never",',
      '  \tTerminationGracePeriodSeconds: &30,',
      '  \tActiveDeadlineSeconds:         nil,',
      '  \t... // 32 identical fields',
      '  }',
      '',
    ]);
  });

  it('descends into a changed container: its command element by element, its resources map, the fields around', () => {
    const next = spec();
    next.containers[0].command = ['sleep', '10'];
    next.containers[0].resources.limits.cpu = '2';
    const out = lines(spec(), next);
    expect(out.slice(0, 12)).toEqual([
      '  core.PodSpec{',
      '  \tVolumes:        nil,',
      '  \tInitContainers: nil,',
      '  \tContainers: []core.Container{',
      '  \t\t{',
      '  \t\t\tName:  "c",',
      '  \t\t\tImage: "registry.k8s.io/pause:3.9",',
      '  \t\t\tCommand: []string{',
      '  \t\t\t\t"sleep",',
      '- \t\t\t\t"3600",',
      '+ \t\t\t\t"10",',
      '  \t\t\t},',
    ]);
    expect(out).toContain('  \t\t\tResources: core.ResourceRequirements{');
    expect(out).toContain('  \t\t\t\tLimits: core.ResourceList{');
    expect(out).toContain('- \t\t\t\t\t"cpu": "1",');
    expect(out).toContain('+ \t\t\t\t\t"cpu": "2",');
    expect(out).toContain('  \t\t\t... // 13 identical fields');
    expect(out.slice(-5, -1)).toEqual(['  \tEphemeralContainers: nil,', '  \tRestartPolicy:       "Always",', '  \t... // 34 identical fields', '  }']);
  });

  it('shows an added port as an inserted element and an added volume list against nil', () => {
    const next = spec();
    next.containers[0].ports.push({ containerPort: 81, protocol: 'TCP' });
    next.volumes = [{ name: 'v', emptyDir: {} }];
    const out = lines(spec(), next);
    expect(out.slice(0, 3)).toEqual(['  core.PodSpec{', '- \tVolumes:        nil,', '+ \tVolumes:        []core.Volume{{Name: "v", EmptyDir: {}}},']);
    expect(out).toContain('  \t\t\t... // 3 identical fields');
    expect(out).toContain('  \t\t\tPorts: []core.ContainerPort{');
    expect(out).toContain('  \t\t\t\t{ContainerPort: 80, Protocol: "TCP"},');
    expect(out).toContain('+ \t\t\t\t{ContainerPort: 81, Protocol: "TCP"},');
  });

  it('diffs env vars and a pointer field, and never folds a single unchanged field into an elision', () => {
    const old = spec();
    old.activeDeadlineSeconds = 60;
    const next = structuredClone(old);
    next.containers[0].env[0].value = '2';
    next.activeDeadlineSeconds = 30;
    const out = lines(old, next);
    expect(out).toContain('  \t\t\tEnv: []core.EnvVar{');
    expect(out).toContain('  \t\t\t\t{');
    expect(out).toContain('  \t\t\t\t\tName:      "A",');
    expect(out).toContain('- \t\t\t\t\tValue:     "1",');
    expect(out).toContain('+ \t\t\t\t\tValue:     "2",');
    expect(out).toContain('  \t\t\t\t\tValueFrom: nil,');
    expect(out).toContain('- \tActiveDeadlineSeconds:         &60,');
    expect(out).toContain('+ \tActiveDeadlineSeconds:         &30,');
    // go-cmp prints a lone unchanged field rather than "... // 1 identical field".
    expect(out.filter((l) => l.includes('// 1 identical'))).toEqual([]);
    expect(out).toContain('  \tRestartPolicy:                 "Always",');
  });
});
