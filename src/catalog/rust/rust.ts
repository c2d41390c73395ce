/**
 * Rust cataloger: Cargo.lock files, and the dependency list cargo-auditable embeds in binaries
 * (https://github.com/rust-secure-code/cargo-auditable: ELF section `.dep-v0`, zlib-compressed JSON).
 */
import { inflateSync } from 'node:zlib';
import type { EntryMeta, FileView } from '../../image/types.js';
import type { Package, Warning } from '../../model/index.js';
import { ELF_MAGIC, isElf, isExecutableCandidate, parseElf, sectionData } from '../go-binary/elf.js';
import { basename, decodeText, isRecord, locationOf, matchingEntries, sortPackages, sortWarnings, str } from '../lang-support.js';
import { arrayTables } from '../python/toml-tables.js';
import { purl } from '../purl.js';
import type { CatalogResult, Cataloger } from '../types.js';

/** Same cap as the Go cataloger: executables are held in memory while their layer is read. */
export const MAX_RUST_BINARY = 256 * 1024 * 1024;
/** The audit JSON of a big project is tens of KB; more than this decompressed is not audit data. */
const MAX_AUDIT_JSON = 8 * 1024 * 1024;

/** A project's Cargo.lock; crate sources unpacked by cargo (~/.cargo/registry, git checkouts) ship their own. */
const isCargoLock = (p: string) => basename(p) === 'Cargo.lock' && !/\/\.cargo\/(registry|git)\//.test(p);

interface Ctx {
  files: FileView;
  packages: Package[];
  warnings: Warning[];
}

function add(ctx: Ctx, path: string, name: string, version: string, local: boolean): void {
  const p: Package = { name, version, type: 'cargo', purl: purl('cargo', undefined, name, version), locations: [locationOf(ctx.files, path)] };
  if (local) p.local = true;
  ctx.packages.push(p);
}

/** Cargo.lock: every [[package]]; those without `source` are the workspace's own or path crates (marked local). */
function catalogCargoLock(ctx: Ctx, path: string, buf: Buffer): void {
  const text = decodeText(buf);
  if (text === undefined) return void ctx.warnings.push({ path, message: 'Cargo.lock: not UTF-8 text' });
  const tables = arrayTables(text, 'package');
  // A real Cargo.lock lists at least the crate it locks.
  if (tables.length === 0)
    return void ctx.warnings.push({ path, message: 'Cargo.lock: no [[package]] tables' });
  for (const t of tables) {
    const { name, version, source } = t.values;
    if (!name || !version) {
      ctx.warnings.push({ path, message: `Cargo.lock: [[package]] at line ${t.line} has no name or version` });
      continue;
    }
    add(ctx, path, name, version, !source);
  }
}

/** The packages of a cargo-auditable binary; undefined when the binary has no audit data. Throws on corrupt data. */
export function readAuditData(buf: Buffer): Array<{ name: string; version: string; local: boolean }> | undefined {
  const elf = parseElf(buf);
  const raw = sectionData(elf, '.dep-v0');
  if (!raw) return undefined;
  let json: Buffer;
  try {
    json = inflateSync(raw, { maxOutputLength: MAX_AUDIT_JSON });
  } catch (err) {
    throw new Error(`cargo-auditable data does not inflate: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(json.toString('utf8'));
  } catch (err) {
    throw new Error(`cargo-auditable data is not JSON: ${(err as Error).message}`);
  }
  if (!isRecord(doc) || !Array.isArray(doc.packages)) throw new Error('cargo-auditable data has no packages list');
  const out: Array<{ name: string; version: string; local: boolean }> = [];
  for (const p of doc.packages) {
    if (!isRecord(p)) continue;
    const name = str(p.name);
    const version = str(p.version);
    // Build-time-only crates (build scripts, proc macros) are not in the binary.
    if (!name || !version || p.kind === 'build') continue;
    out.push({ name, version, local: p.source === 'local' });
  }
  return out;
}

export function rustCataloger(): Cataloger {
  const isBinary = (e: EntryMeta) => isExecutableCandidate(e.type, e.mode, e.size, MAX_RUST_BINARY);
  return {
    id: 'rust',
    version: 2,
    wants: (path: string, e: EntryMeta) => isCargoLock(path) || isBinary(e),
    // Only binaries with cargo-auditable data (and ELF files too broken to tell) are kept.
    keeps: (path: string, content: Buffer) => {
      if (isCargoLock(path)) return true;
      if (!isElf(content)) return false;
      try {
        return sectionData(parseElf(content), '.dep-v0') !== undefined;
      } catch {
        return true;
      }
    },
    catalog(files: FileView): CatalogResult {
      const ctx: Ctx = { files, packages: [], warnings: [] };
      const candidates = matchingEntries(files, (p, e) => isCargoLock(p) || isBinary(e));
      for (const path of candidates) {
        const buf = files.read(path);
        if (!buf) continue;
        if (isCargoLock(path)) {
          catalogCargoLock(ctx, path, buf);
          continue;
        }
        if (buf.length < 4 || !buf.subarray(0, 4).equals(ELF_MAGIC)) continue;
        try {
          for (const p of readAuditData(buf) ?? []) add(ctx, path, p.name, p.version, p.local);
        } catch (err) {
          ctx.warnings.push({ path, message: `rust audit data: ${(err as Error).message}` });
        }
      }
      return { packages: sortPackages(ctx.packages), warnings: sortWarnings(ctx.warnings) };
    },
  };
}
