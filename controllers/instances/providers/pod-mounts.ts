/**
 * A container's volumeMounts for a local process. Where we are root and unshare(1) works, the
 * command runs in its own mount (and UTS) namespace: a generated sh script bind-mounts each volume
 * at its mountPath (read-only where asked), the pod's hosts file over /etc/hosts, sets the
 * hostname (and /etc/hostname), changes to the working directory and execs the command, so the pid stays the process's.
 *
 * Mount points that do not exist are never created on the host. A missing directory under an
 * existing host directory D is made on an overlay laid over D inside the namespace, its upper
 * directory under the pod's scratch directory (D looks unchanged, but new names, and any write the
 * process makes in D, land in the scratch directory). Where an overlay cannot be mounted (the
 * scratch directory inside D, or on an overlay itself), a tmpfs is laid over D with every entry of
 * D bound back instead (a "writable mimic"). When
 * the nearest existing directory is / itself, the namespace gets a new root: a tmpfs mirroring /
 * entry by entry, entered with chroot(8) at the end. The host filesystem only ever sees empty
 * staging directories under the pod's scratch directory.
 *
 * Without namespaces (not root, no unshare) the fallback maps each mountPath to
 * <scratch>/rootfs/<mountPath>, a symlink to the volume; the process runs with its working
 * directory there (default <scratch>/rootfs), so relative paths such as etc/config/key resolve, and
 * an absolute workingDir or command under a mountPath is rewritten to its mapped place. readOnly
 * is not enforced and /etc/hosts and /etc/hostname are not replaced in that mode.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Container } from '../pod';
import { ContainerConfigFailure, expand } from './pod-env';
import type { MaterialisedVolume } from './pod-volumes';

/** Isolation is how mounts are applied: a private mount namespace, or the scratch-dir mapping. */
export type Isolation = 'namespace' | 'fallback';

let namespaceProbe: { ok: boolean; unshare: string } | undefined;

// probeNamespaces finds unshare(1) on this process's PATH and checks that it can make a mount and a
// UTS namespace (root, and a kernel and sandbox that allow it). Probed once.
function probeNamespaces(): { ok: boolean; unshare: string } {
  if (namespaceProbe) return namespaceProbe;
  const dirs = (process.env.PATH || '/usr/bin:/bin').split(':').filter(Boolean);
  const unshare = [...dirs, '/usr/bin', '/bin'].map((d) => path.join(d, 'unshare')).find((p) => isExecutableFile(p)) ?? '';
  const ok =
    process.platform === 'linux' &&
    process.getuid?.() === 0 &&
    unshare !== '' &&
    isExecutableFile('/bin/sh') &&
    spawnSync(unshare, ['--mount', '--uts', '--propagation', 'private', '/bin/sh', '-c', 'mount -t tmpfs tmpfs /tmp'], { stdio: 'ignore', timeout: 10_000 }).status === 0;
  namespaceProbe = { ok, unshare };
  return namespaceProbe;
}

/** nsenterPath is nsenter(1) on this process's PATH (beside unshare, from util-linux), or the bare name. */
export function nsenterPath(): string {
  const dirs = [...(process.env.PATH || '').split(':').filter(Boolean), '/usr/bin', '/bin'];
  return dirs.map((d) => path.join(d, 'nsenter')).find((p) => isExecutableFile(p)) ?? 'nsenter';
}

/** namespacesAvailable is true when we are root and `unshare --mount --uts` can mount in its namespace. */
export function namespacesAvailable(): boolean {
  return probeNamespaces().ok;
}

/** MountPlanInput is what a container's mounts are planned from. */
export interface MountPlanInput {
  container: Container;
  volumes: Map<string, MaterialisedVolume>;
  scratchDir: string;
  /** env is the container's final environment (subPathExpr and PATH are read from it). */
  env: Record<string, string>;
  argv: string[];
  /** hostsFile is the generated hosts file, mounted over /etc/hosts unless a volume is mounted there. */
  hostsFile?: string;
  hostname: string;
}

/** MountPlan is how to start the process: the argv to spawn, the directory to spawn it in, and the working directory it will see. */
export interface MountPlan {
  argv: string[];
  cwd: string;
  workingDir: string;
}

interface Mount {
  target: string;
  source: string;
  readOnly: boolean;
  file: boolean;
  /** sandbox marks the generated /etc/hosts and /etc/hostname, which only a namespace can place. */
  sandbox?: boolean;
}

function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

function runContainerError(detail: string): ContainerConfigFailure {
  return new ContainerConfigFailure(
    'RunContainerError',
    `failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: ${detail}: unknown`,
  );
}

// containerMounts resolves volumeMounts to host sources, as makeMounts does, sorted parents first.
function containerMounts(input: MountPlanInput): Mount[] {
  const c = input.container;
  const mounts: Mount[] = [];
  interface VolumeMount {
    name: string;
    mountPath: string;
    subPath?: string;
    subPathExpr?: string;
    readOnly?: boolean;
  }
  for (const vm of (c.volumeMounts as VolumeMount[] | undefined) ?? []) {
    const vol = input.volumes.get(vm.name);
    if (!vol) throw new ContainerConfigFailure('CreateContainerConfigError', `cannot find volume "${vm.name}" to mount into container "${c.name}"`);
    let sub = vm.subPath ?? '';
    if (vm.subPathExpr) sub = expand(vm.subPathExpr, (n) => (Object.hasOwn(input.env, n) ? input.env[n] : undefined));
    if (sub !== '') {
      if (path.isAbsolute(sub)) throw new ContainerConfigFailure('CreateContainerConfigError', `error SubPath \`${sub}\` must not be an absolute path`);
      if (sub.split('/').includes('..')) throw new ContainerConfigFailure('CreateContainerConfigError', `unable to provision SubPath \`${sub}\`: must not contain '..'`);
    }
    let source = vol.hostPath;
    if (sub !== '') {
      source = path.join(vol.hostPath, sub);
      // As the kubelet: a missing subPath is made as a directory inside the volume.
      if (!fs.existsSync(source)) fs.mkdirSync(source, { recursive: true });
    }
    const target = path.posix.resolve('/', vm.mountPath);
    mounts.push({ target, source, readOnly: vm.readOnly === true || vol.readOnly, file: fs.statSync(source).isFile() });
  }
  if (input.hostsFile && !mounts.some((m) => m.target === '/etc/hosts')) {
    mounts.push({ target: '/etc/hosts', source: input.hostsFile, readOnly: false, file: true, sandbox: true });
  }
  // As containerd does, /etc/hostname holds the pod's hostname (where the host has one to cover).
  const hostnameFile = path.join(input.scratchDir, 'etc-hostname');
  if (isFile('/etc/hostname') && !mounts.some((m) => m.target === '/etc/hostname')) {
    fs.writeFileSync(hostnameFile, `${input.hostname}\n`, { mode: 0o644 });
    mounts.push({ target: '/etc/hostname', source: hostnameFile, readOnly: false, file: true, sandbox: true });
  }
  const depth = (p: string) => p.split('/').filter(Boolean).length;
  return mounts.map((m, i) => ({ m, i })).sort((a, b) => depth(a.m.target) - depth(b.m.target) || a.i - b.i).map(({ m }) => m);
}

function under(p: string, dir: string): boolean {
  return p === dir || dir === '/' || p.startsWith(dir.endsWith('/') ? dir : `${dir}/`);
}

function isExecutableFile(p: string): boolean {
  try {
    if (!fs.statSync(p).isFile()) return false;
    fs.accessSync(p, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

// checkCommand finds argv[0] as the process would (through PATH or its working directory),
// with view() mapping a path the process sees to the host path that backs it.
function checkCommand(argv: string[], env: Record<string, string>, workingDir: string, view: (p: string) => string): void {
  const cmd = argv[0];
  if (cmd.includes('/')) {
    const p = path.posix.resolve(workingDir, cmd);
    if (!isExecutableFile(view(p))) {
      const exists = fs.existsSync(view(p));
      throw runContainerError(`exec: "${cmd}": ${exists ? 'permission denied' : `stat ${cmd}: no such file or directory`}`);
    }
    return;
  }
  const dirs = (env.PATH ?? '').split(':');
  for (const d of dirs) {
    const p = path.posix.resolve(workingDir, d === '' ? '.' : d, cmd);
    if (isExecutableFile(view(p))) return;
  }
  throw runContainerError(`exec: "${cmd}": executable file not found in $PATH`);
}

/** shellQuote quotes s for sh. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

// The helpers every namespace script starts with. populate SRC DST recreates each entry of SRC in
// the (tmpfs) directory DST: a symlink copied, a directory or file bind-mounted back (recursively,
// so /dev/pts and /proc stay whole). mimic DIR STAGE overlay|tmpfs makes DIR writable in the
// namespace only.
const SCRIPT_PRELUDE = `set -e
populate() {
  src=$1; dst=$2; skip=$3
  for e in "$src"/* "$src"/.[!.]* "$src"/..?*; do
    name=\${e##*/}
    [ "$name" = "$skip" ] && continue
    # An entry that cannot be bound back (rare special files) is left out rather than failing the start.
    # mount(8) itself may have made /run/mount on the fresh tmpfs already, hence -p and the -L test.
    if [ -L "$e" ]; then [ -L "$dst/$name" ] || ln -s "$(readlink "$e")" "$dst/$name"
    elif [ -d "$e" ]; then mkdir -p "$dst/$name" && mount --rbind "$e" "$dst/$name" 2>/dev/null || :
    elif [ -e "$e" ]; then : > "$dst/$name" && mount --bind "$e" "$dst/$name" 2>/dev/null || :
    fi
  done
}
mimic() {
  d=$1; s=$2
  # Each start gets a fresh writable layer, as a container does: what a previous run wrote (its
  # mount points included) must not be there again.
  rm -rf "$s/upper" "$s/work"
  mkdir -p "$s/lower" "$s/upper" "$s/work"
  mount --rbind "$d" "$s/lower"
  if [ "$3" = overlay ] && mount -t overlay overlay -o "lowerdir=$s/lower,upperdir=$s/upper,workdir=$s/work" "$d" 2>/dev/null; then
    # An overlay does not show the mounts below its lower directory: bind each top one back.
    last=
    awk -v d="$d/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -u | while read -r m; do
      case "$m" in "$last"/*) [ -n "$last" ] && continue ;; esac
      last=$m
      mount --rbind "$s/lower/\${m#"$d"/}" "$m" 2>/dev/null || :
    done
  else
    mode=$(stat -c %a "$s/lower")
    cd "$s/lower"
    mount -t tmpfs -o "mode=$mode" tmpfs "$d"
    populate . "$d" ""
    cd /
  fi
}
`;

/**
 * planNamespace writes the container's mount script under <scratch>/containers/<name>/ and answers
 * the argv that runs it in a private mount namespace.
 */
function planNamespace(input: MountPlanInput, mounts: Mount[], workingDir: string): MountPlan {
  const containerDir = path.join(input.scratchDir, 'containers', input.container.name);
  fs.mkdirSync(containerDir, { recursive: true });
  const attempt = (rootMode: boolean): { lines: string[]; needsRoot: boolean; done: Mount[] } => {
    const root = path.join(containerDir, 'root');
    const prefix = rootMode ? root : '';
    const lines: string[] = [];
    const done: Mount[] = [];
    const created = new Set<string>();
    const createdDirs = new Set<string>();
    const writable = new Set<string>();
    let needsRoot = false;
    let mimics = 0;
    if (rootMode) {
      const first = root.split('/').filter(Boolean)[0];
      lines.push(`mkdir -p ${shellQuote(root)}`, `mount -t tmpfs -o mode=755 tmpfs ${shellQuote(root)}`);
      // The top-level entry holding the new root is bound first, while the new root is still
      // empty, so its copy does not repeat every other entry.
      lines.push(`mkdir ${shellQuote(`${root}/${first}`)}`, `mount --rbind ${shellQuote(`/${first}`)} ${shellQuote(`${root}/${first}`)}`);
      lines.push(`populate / ${shellQuote(root)} ${shellQuote(first)}`);
    }
    const backing = (p: string): string | undefined => {
      let best: Mount | undefined;
      for (const m of done) if (under(p, m.target) && (!best || m.target.length > best.target.length)) best = m;
      return best ? path.join(best.source, path.posix.relative(best.target, p)) : undefined;
    };
    const exists = (p: string) => created.has(p) || fs.existsSync(backing(p) ?? p);
    const ensure = (target: string, file: boolean): string => {
      if (exists(target)) {
        // A directory cannot be bound over a file or the reverse; say so as runc would, before starting.
        const isDir = created.has(target) ? createdDirs.has(target) : fs.statSync(backing(target) ?? target).isDirectory();
        if (isDir === file) {
          throw runContainerError(`error during container init: error mounting to rootfs at ${JSON.stringify(target)}: ${file ? 'is a directory' : 'not a directory'}`);
        }
        return target;
      }
      let a = path.posix.dirname(target);
      while (!exists(a)) a = path.posix.dirname(a);
      const safe = backing(a) !== undefined || created.has(a) || writable.has(a) || (a === '/' && rootMode);
      if (!safe) {
        const real = fs.realpathSync(a);
        if (real !== a) return ensure(path.posix.join(real, path.posix.relative(a, target)), file);
        if (a === '/') {
          needsRoot = true;
        } else {
          // Under an overlay, a volume's source below a would be reached through the overlay and
          // its writes would land in the upper directory: such a directory gets the tmpfs mimic.
          const kind = [input.scratchDir, ...mounts.map((m) => m.source)].some((p) => under(realpathOr(p), a)) ? 'tmpfs' : 'overlay';
          lines.push(`mimic ${shellQuote(prefix + a)} ${shellQuote(path.join(containerDir, `mimic-${++mimics}`))} ${kind}`);
          writable.add(a);
        }
      }
      const missing: string[] = [];
      for (let p = target; p !== a; p = path.posix.dirname(p)) missing.unshift(p);
      for (const p of missing) {
        const last = p === target;
        lines.push(last && file ? `: > ${shellQuote(prefix + p)}` : `mkdir ${shellQuote(prefix + p)}`);
        created.add(p);
        if (!(last && file)) createdDirs.add(p);
      }
      return target;
    };
    for (const m of mounts) {
      const target = ensure(m.target, m.file);
      lines.push(`mount --bind ${shellQuote(m.source)} ${shellQuote(prefix + target)}`);
      if (m.readOnly) lines.push(`mount -o remount,bind,ro ${shellQuote(prefix + target)}`);
      done.push({ ...m, target });
    }
    // A missing working directory is made, as runc does, by the same safe means as a mount point.
    if (exists(workingDir) && !created.has(workingDir) && !fs.statSync(backing(workingDir) ?? workingDir).isDirectory()) {
      throw runContainerError(`error during container init: chdir to cwd (${JSON.stringify(workingDir)}) set in config.json failed: not a directory`);
    }
    const wd = ensure(workingDir, false);
    lines.push(`hostname ${shellQuote(input.hostname)}`);
    if (rootMode) {
      lines.push(`exec chroot ${shellQuote(root)} /bin/sh -c 'cd "$1" && shift && exec "$@"' sh ${shellQuote(wd)} "$@"`);
    } else {
      lines.push(`cd ${shellQuote(wd)}`, 'exec "$@"');
    }
    return { lines, needsRoot, done };
  };
  let plan = attempt(false);
  if (plan.needsRoot) plan = attempt(true);
  const view = (p: string): string => {
    let best: Mount | undefined;
    for (const m of plan.done) if (under(p, m.target) && (!best || m.target.length > best.target.length)) best = m;
    return best ? path.join(best.source, path.posix.relative(best.target, p)) : p;
  };
  checkCommand(input.argv, input.env, workingDir, view);
  const script = path.join(containerDir, 'mounts.sh');
  fs.writeFileSync(script, `${SCRIPT_PRELUDE}${plan.lines.join('\n')}\n`, { mode: 0o755 });
  return {
    argv: [probeNamespaces().unshare || 'unshare', '--mount', '--uts', '--propagation', 'private', '/bin/sh', script, ...input.argv],
    cwd: input.scratchDir,
    workingDir,
  };
}

// planFallback links each mountPath under <scratch>/rootfs and maps paths the process names there.
function planFallback(input: MountPlanInput, mounts: Mount[], specWorkingDir: string | undefined): MountPlan {
  const rootfs = path.join(input.scratchDir, 'rootfs');
  fs.mkdirSync(rootfs, { recursive: true });
  const volumeMounts = mounts.filter((m) => !m.sandbox);
  for (const m of volumeMounts) {
    const link = path.join(rootfs, m.target);
    fs.mkdirSync(path.dirname(link), { recursive: true });
    fs.rmSync(link, { force: true, recursive: isRealDirectory(link) && fs.readdirSync(link).length === 0 });
    fs.symlinkSync(m.source, link);
  }
  const mapped = (p: string): string => (volumeMounts.some((m) => under(p, m.target)) ? path.join(rootfs, p) : p);
  let workingDir = rootfs;
  if (specWorkingDir) {
    workingDir = mapped(specWorkingDir);
    if (workingDir !== specWorkingDir) {
      fs.mkdirSync(workingDir, { recursive: true });
    } else if (!fs.existsSync(workingDir)) {
      // runc would create it; without a namespace that would be a directory on the host.
      throw runContainerError(`error during container init: chdir to cwd (${JSON.stringify(specWorkingDir)}) set in config.json failed: no such file or directory`);
    } else if (!fs.statSync(workingDir).isDirectory()) {
      throw runContainerError(`error during container init: chdir to cwd (${JSON.stringify(specWorkingDir)}) set in config.json failed: not a directory`);
    }
  }
  const argv = [...input.argv];
  if (path.isAbsolute(argv[0])) argv[0] = mapped(argv[0]);
  checkCommand(argv, input.env, workingDir, (p) => p);
  return { argv, cwd: workingDir, workingDir };
}

function realpathOr(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return p;
  }
}

function isRealDirectory(p: string): boolean {
  try {
    return fs.lstatSync(p).isDirectory();
  } catch {
    return false;
  }
}

/**
 * planMounts decides how the container's process starts: argv and spawn directory, in a mount
 * namespace or with the fallback mapping. The working directory defaults to the scratch directory
 * (namespace) or <scratch>/rootfs (fallback). Throws ContainerConfigFailure: CreateContainerConfigError
 * for a volumeMount naming no volume or a bad subPath, RunContainerError for a command that cannot
 * be found or a working directory that cannot be entered, with containerd's and runc's messages.
 */
export function planMounts(input: MountPlanInput, isolation: Isolation): MountPlan {
  const mounts = containerMounts(input);
  const specWorkingDir = (input.container.workingDir as string | undefined) || undefined;
  if (isolation === 'namespace') return planNamespace(input, mounts, specWorkingDir ? path.posix.resolve('/', specWorkingDir) : input.scratchDir);
  return planFallback(input, mounts, specWorkingDir ? path.posix.resolve('/', specWorkingDir) : undefined);
}
