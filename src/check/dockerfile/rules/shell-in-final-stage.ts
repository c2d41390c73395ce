/** The final image keeps a shell and a package manager when built on a full distro image that never removes them. */
// Both help an attacker who gets code execution. Heuristic: bases are recognised by name
// (see docs/dockerfile-lint.md); unknown bases are not judged.
import { basename } from '../shell.js';
import type { ImageReference, Rule } from '../types.js';
import { apkSubcommand, finalRoot, isChainguard, isDistroless, removedPaths } from './helpers.js';

interface Tools {
  packageManager: string | null;
  shell: boolean;
}

const DEBIAN_LIKE = new Set([
  'debian', 'ubuntu', 'buildpack-deps', 'node', 'python', 'golang', 'ruby', 'php', 'perl', 'rust', 'openjdk',
  'eclipse-temurin', 'amazoncorretto', 'maven', 'gradle', 'nginx', 'httpd', 'postgres', 'redis', 'mysql',
  'mariadb', 'mongo', 'elixir', 'erlang', 'haskell', 'julia', 'r-base', 'gcc', 'clojure', 'dart', 'swift',
]);
const RPM_LIKE = new Set(['centos', 'fedora', 'rockylinux', 'almalinux', 'amazonlinux', 'oraclelinux', 'ubi', 'ubi8', 'ubi9', 'ubi-minimal', 'ubi8-minimal', 'ubi9-minimal']);
const PACKAGE_MANAGERS = new Set(['apk', 'apt', 'apt-get', 'dpkg', 'yum', 'dnf', 'microdnf', 'rpm', 'zypper', 'pacman']);
const SHELL_BINARIES = new Set(['sh', 'bash', 'ash', 'dash', 'busybox', 'zsh']);
const BIN_DIRS = ['/bin/', '/usr/bin/', '/sbin/', '/usr/sbin/', '/usr/local/bin/'];

/** What a recognised base image ships, or null when the name says nothing. */
export function baseTools(ref: ImageReference): Tools | null {
  const tag = ref.tag ?? '';
  if (isDistroless(ref)) return tag.includes('debug') ? { packageManager: null, shell: true } : null;
  if (isChainguard(ref)) return tag.includes('dev') || ref.repository.endsWith('/wolfi-base') ? { packageManager: 'apk', shell: true } : null;
  const repo = ref.repository;
  const last = repo.slice(repo.lastIndexOf('/') + 1);
  const official = ref.registry === 'docker.io' && repo.startsWith('library/');
  if (official && last === 'busybox') return { packageManager: null, shell: true };
  if (official && last === 'alpine') return { packageManager: 'apk', shell: true };
  if (official && (last === 'archlinux')) return { packageManager: 'pacman', shell: true };
  if (official && DEBIAN_LIKE.has(last)) return { packageManager: tag.includes('alpine') ? 'apk' : 'apt-get/dpkg', shell: true };
  if ((official || ref.name.includes('redhat')) && RPM_LIKE.has(last)) return { packageManager: last.includes('minimal') ? 'microdnf/rpm' : 'dnf/yum/rpm', shell: true };
  if (repo.startsWith('opensuse/')) return { packageManager: 'zypper', shell: true };
  return null;
}

function inBinDir(p: string): boolean {
  return BIN_DIRS.some((d) => p.startsWith(d));
}

export const shellInFinalStage: Rule = {
  id: 'shell-in-final-stage',
  severity: 'low',
  title: 'Shell or package manager left in the final image',
  remediation: 'Copy the application into a distroless, Chainguard or scratch final stage; or remove the package manager and shell in the last RUN.',
  url: 'https://github.com/GoogleContainerTools/distroless#why-should-i-use-distroless-images',
  check(ctx) {
    const root = finalRoot(ctx);
    if (!root || root.base.kind !== 'image') return [];
    const tools = baseTools(root.base);
    if (!tools) return [];
    let pmRemoved = tools.packageManager === null;
    let shellRemoved = !tools.shell;
    const inFinal = new Set(ctx.finalLineage);
    for (const run of ctx.runs) {
      if (run.onbuild || !inFinal.has(run.stage)) continue;
      for (const p of removedPaths(run)) {
        const b = basename(p);
        if (!inBinDir(p) && !p.startsWith('/var/lib/dpkg') && !p.startsWith('/lib/apk') && !p.startsWith('/etc/apk')) continue;
        if (b === '*') pmRemoved = shellRemoved = true;
        if (PACKAGE_MANAGERS.has(b) || !inBinDir(p)) pmRemoved = true;
        if (SHELL_BINARIES.has(b)) shellRemoved = true;
      }
      for (const cmd of run.commands) {
        const apk = apkSubcommand(cmd);
        if (apk?.sub === 'del' && apk.args.includes('apk-tools')) pmRemoved = true;
      }
    }
    const left: string[] = [];
    if (!pmRemoved && tools.packageManager) left.push(`a package manager (${tools.packageManager})`);
    if (!shellRemoved) left.push('a shell');
    if (left.length === 0) return [];
    return [{ line: root.line, message: `the final image is built on ${root.base.resolved} and keeps ${left.join(' and ')}` }];
  },
};
