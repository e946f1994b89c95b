/** The /version document: Kubernetes 1.32 compatibility, with nodeless' own build in the git version. */

/** KUBERNETES_MINOR is the Kubernetes minor version whose API nodeless serves. */
export const KUBERNETES_MINOR = 32;

/** versionInfo is the body of GET /version. */
export function versionInfo(): Record<string, string> {
  return {
    major: '1',
    minor: String(KUBERNETES_MINOR),
    gitVersion: `v1.${KUBERNETES_MINOR}.0+nodeless`,
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2026-11-25T00:00:00Z',
    goVersion: `node${process.versions.node}`,
    compiler: 'tsc',
    platform: `${process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}`,
  };
}
