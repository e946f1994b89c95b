/**
 * What the process provider needs to start a Pod's containers: for each container its final
 * argv, environment and working directory, or the reason it cannot be created (kube's
 * CreateContainerConfigError for a missing ConfigMap key, say). The full resolver (env, envFrom,
 * ConfigMap and Secret references, the downward API, service variables, volumes) is a separate
 * module plugged in through ProcessProviderOptions.prepare; defaultPrepare here is the minimal one
 * the provider uses without it.
 */
import type { Container, Pod } from '../pod';
import type { ContainerConfigError, PreparedContainer as EnvironmentContainer } from './pod-environment';

/** PreparedContainer is what a container runs with (pod-environment.ts's), or why it cannot be created. */
export type PreparedContainer = EnvironmentContainer | ContainerConfigError;

/** PreparedPod maps a container name (init or app) to how it runs. */
export type PreparedPod = Map<string, PreparedContainer> | Record<string, PreparedContainer>;

/** PrepareHook resolves a Pod's containers under its scratch directory; it may reject for a bad Pod. */
export type PrepareHook = (pod: Pod, scratchDir: string) => Promise<PreparedPod>;

/** preparedFor reads one container's entry from either shape of PreparedPod. */
export function preparedFor(prepared: PreparedPod, name: string): PreparedContainer | undefined {
  return prepared instanceof Map ? prepared.get(name) : prepared[name];
}

// PATH is the one variable of the server's own environment a container gets: without an image
// there is nothing else to find programs by, and everything else (tokens, credentials) stays out.
const basePath = () => process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * defaultPrepare runs command+args with PATH, HOSTNAME and the container's literal env values
 * (references are left out), in workingDir or, with no image to supply one, the pod's scratch dir.
 */
export const defaultPrepare: PrepareHook = async (pod, scratchDir) => {
  const out = new Map<string, PreparedContainer>();
  for (const c of [...(pod.spec.initContainers ?? []), ...pod.spec.containers] as Container[]) {
    const env: Record<string, string> = { PATH: basePath(), HOSTNAME: pod.metadata.name };
    for (const e of (c.env as Array<{ name: string; value?: string }> | undefined) ?? []) if (typeof e.value === 'string') env[e.name] = e.value;
    const command = (c.command as string[] | undefined) ?? [];
    const args = (c.args as string[] | undefined) ?? [];
    const cwd = typeof c.workingDir === 'string' && c.workingDir ? c.workingDir : scratchDir;
    // No volumes are mounted here, so nothing is isolated: the process sees cwd as its own.
    out.set(c.name, { argv: [...command, ...args], env, cwd, workingDir: cwd, isolation: 'fallback' });
  }
  return out;
};
