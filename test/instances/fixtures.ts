/** Pod fixtures for the instance scheduler's tests. */
import type { Container, Pod, PodSpec } from '../../controllers/instances/pod';

/** container is a container named name with the given requests (and optional limits). */
export function container(name: string, requests?: Record<string, string>, limits?: Record<string, string>, extra: Partial<Container> = {}): Container {
  return { name, image: 'nginx:1.25', ...(requests || limits ? { resources: { ...(requests ? { requests } : {}), ...(limits ? { limits } : {}) } } : {}), ...extra };
}

/** pod is a Pod named name in namespace default with the given spec fields. */
export function pod(name: string, spec: Partial<PodSpec> = {}, meta: Partial<Pod['metadata']> = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', uid: `uid-${name}`, creationTimestamp: '2024-01-01T00:00:00Z', ...meta },
    spec: { containers: [container('app')], ...spec },
  };
}
