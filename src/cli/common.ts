/** What every command shares: cache locations, durations, option parsing, quiet/progress rules, writing output. */
import { renameSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { ShipshapeError } from '../errors.js';
import type { OpenOptions } from '../image/types.js';
import { parseSeverity, type Severity } from '../model/index.js';

/** `$XDG_CACHE_HOME/shipshape`, default `~/.cache/shipshape`. */
export function cacheHome(): string {
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'shipshape');
}

export { defaultDbPath } from '../db/paths.js';

/** Parses `90m`, `36h`, `7d`, `2w`; a bare number means hours. */
export function parseDuration(s: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([smhdw]?)$/.exec(s.trim());
  if (!m) throw new ShipshapeError('usage', `${flag}: invalid duration "${s}" (examples: 36h, 7d, 2w)`);
  const unit = { s: 1e3, m: 60e3, h: 3600e3, '': 3600e3, d: 86400e3, w: 7 * 86400e3 }[m[2] as 's' | 'm' | 'h' | '' | 'd' | 'w'];
  return Number(m[1]) * unit;
}

export function severityOption(s: string, flag: string): Severity {
  const v = parseSeverity(s === 'moderate' ? 'medium' : s);
  if (!v) throw new ShipshapeError('usage', `${flag}: unknown severity "${s}" (one of: negligible, low, medium, high, critical)`);
  return v;
}

/** Collects a repeatable option into an array. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Progress bars only for a person watching: stderr is a TTY, not CI, not --quiet. */
export function progressWanted(quiet: boolean | undefined): boolean {
  return !quiet && process.stderr.isTTY === true && !process.env.CI;
}

/** A one-line progress bar on stderr, redrawn in place. */
export function progressBar(label: string): { update(done: number, total: number, detail?: string): void; end(): void } {
  let last = 0;
  return {
    update(done, total, detail = '') {
      const t = Date.now();
      if (t - last < 80 && done < total) return;
      last = t;
      const width = 24;
      const frac = total > 0 ? Math.min(1, done / total) : 0;
      const bar = '#'.repeat(Math.round(frac * width)).padEnd(width, '.');
      const cols = process.stderr.columns || 80;
      process.stderr.write(`\r${`${label} [${bar}] ${total > 0 ? `${done}/${total}` : done} ${detail}`.slice(0, cols - 1)}\x1b[K`);
    },
    end() {
      process.stderr.write('\r\x1b[K');
    },
  };
}

/** Writes to stdout, or to a file atomically (temp + rename) so a failed run leaves no half file. */
export function writeOutput(text: string, file: string | undefined): void {
  if (!file || file === '-') {
    process.stdout.write(text);
    return;
  }
  // A device or pipe (`--format json=/dev/null`) is written in place: renaming onto it would replace it.
  if (existsOther(file)) {
    try {
      writeFileSync(file, text);
      return;
    } catch (err) {
      throw new ShipshapeError('io', `cannot write ${file}: ${(err as Error).message}`, { cause: err });
    }
  }
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, file);
  } catch (err) {
    throw new ShipshapeError('io', `cannot write ${file}: ${(err as Error).message}`, { cause: err });
  }
}

/** True when `file` exists and is not a regular file (a character device, a FIFO). */
function existsOther(file: string): boolean {
  try {
    return !statSync(file).isFile();
  } catch {
    return false;
  }
}

export function warn(message: string, quiet: boolean | undefined): void {
  if (!quiet) process.stderr.write(`shipshape: warning: ${message}\n`);
}

/** Flags of every command that reads an image: cache, platform and registry access. */
export interface ImageFlags {
  cache: boolean;
  cacheDir?: string;
  platform?: string;
  username?: string;
  password?: string;
  caCert?: string[];
  insecureRegistry?: string[];
  timeout?: string;
}

export function withImageOptions(c: Command): Command {
  return withRegistryOptions(
    c
      .option('--no-cache', 'do not read or write the layer cache')
      .option('--cache-dir <dir>', 'layer cache directory', path.join(cacheHome(), 'layers'))
      .option('--platform <os/arch[/variant]>', 'platform to pick from a multi-platform image (default: this host)'),
  );
}

/** Flags of every command that talks to a registry: credentials, TLS trust, plain HTTP, timeout. */
export function withRegistryOptions(c: Command): Command {
  return c
    .option('--username <user>', 'registry user name (also SHIPSHAPE_USERNAME)')
    .option('--password <password>', 'registry password (also SHIPSHAPE_PASSWORD)')
    .option('--ca-cert <file>', 'extra CA certificate (PEM) for registry TLS; repeatable', collect)
    .option('--insecure-registry <host>', 'reach this registry over plain HTTP; repeatable', collect)
    .option('--timeout <duration>', 'per-request registry timeout', '30s');
}

export async function openOptionsFrom(flags: ImageFlags): Promise<OpenOptions> {
  const { parsePlatform } = await import('../image/schema.js');
  return { ...(flags.platform ? { platform: parsePlatform(flags.platform) } : {}), ...registryOptionsFrom(flags) };
}

/** Registry access from the flags of withRegistryOptions. */
export function registryOptionsFrom(flags: Omit<ImageFlags, 'cache'>): Pick<OpenOptions, 'username' | 'password' | 'caCerts' | 'insecureRegistries' | 'timeoutMs'> {
  return {
    ...(flags.username ? { username: flags.username } : {}),
    ...(flags.password ? { password: flags.password } : {}),
    caCerts: flags.caCert ?? [],
    insecureRegistries: flags.insecureRegistry ?? [],
    timeoutMs: parseDuration(flags.timeout ?? '30s', '--timeout'),
  };
}

/** The layer cache directory the flags ask for, or null for --no-cache. */
export function cacheDirFrom(flags: ImageFlags): string | null {
  return flags.cache ? (flags.cacheDir ?? path.join(cacheHome(), 'layers')) : null;
}
