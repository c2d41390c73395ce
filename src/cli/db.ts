/** `shipshape db build|update|status`: the advisory database's commands. */
import path from 'node:path';
import type { Command } from 'commander';
import type { DbStatus } from '../db/index.js';
import { cacheHome, defaultDbPath, progressBar, progressWanted, warn, withOutput, withQuiet, writeOutput } from './common.js';

interface DbFlags {
  db?: string;
  quiet?: boolean;
  from?: string;
  mirror?: string;
  format?: string;
  output?: string;
  feeds?: string;
}

/** `--feeds alpine-secdb,debian-tracker` → those feeds from the registry; unknown ids are a usage error. */
async function selectFeeds(spec: string | undefined) {
  if (!spec) return undefined;
  const [{ feeds }, { ShipshapeError }] = await Promise.all([import('../feeds/registry.js'), import('../errors.js')]);
  const ids = spec.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = ids.filter((id) => !feeds.some((f) => f.id === id));
  if (unknown.length) throw new ShipshapeError('usage', `--feeds: unknown feed ${unknown.join(', ')} (known: ${feeds.map((f) => f.id).join(', ')})`);
  return feeds.filter((f) => ids.includes(f.id));
}

function statusText(s: DbStatus): string {
  const lines = [
    `Database: ${s.path}`,
    `Schema version: ${s.schemaVersion}`,
    `Built: ${s.builtAt}`,
    `Digest: ${s.digest}`,
    '',
  ];
  const rows = [['FEED', 'RECORDS', 'FETCHED', 'SOURCE', 'COVERS']];
  for (const f of s.feeds) rows.push([f.id, String(f.records), f.fetchedAt, f.source, summarizeNamespaces(f.namespaces)]);
  const widths = rows[0]!.map((_, i) => rows.reduce((w, r) => Math.max(w, r[i]!.length), 0));
  for (const r of rows) lines.push(r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  '));
  return `${lines.join('\n')}\n`;
}

/** `alpine:3.3 … alpine:3.11` → "alpine 3.3, 3.4, …"; grouped by distro. */
function summarizeNamespaces(namespaces: string[]): string {
  const groups = new Map<string, string[]>();
  for (const ns of namespaces) {
    const [distro, release] = ns.includes(':') ? ns.split(':') as [string, string] : [ns, ''];
    let g = groups.get(distro);
    if (!g) groups.set(distro, (g = []));
    if (release) g.push(release);
  }
  return [...groups].map(([d, rs]) => (rs.length ? `${d} ${rs.join(', ')}` : d)).join('; ');
}

export function registerDb(program: Command): void {
  const db = program.command('db').description('build, update and inspect the advisory database');
  const common = (c: Command) => withQuiet(c.option('--db <path>', 'advisory database file', defaultDbPath()));
  const feedsOption = (c: Command) => c.option('--feeds <ids>', 'only these feeds, comma-separated (default: all)');

  feedsOption(common(db.command('build').description('build the database from a local copy of the feeds')))
    .requiredOption('--from <dir>', 'directory holding the feeds in their upstream layout (e.g. ../shared/vulndata)')
    .action(async (flags: DbFlags) => {
      const { buildDb } = await import('../db/index.js');
      const feeds = await selectFeeds(flags.feeds);
      const status = await buildDb({
        path: flags.db ?? defaultDbPath(),
        ...(feeds ? { feeds } : {}),
        from: path.resolve(flags.from!),
        cacheDir: path.join(cacheHome(), 'feeds'),
        onWarning: (m: string) => warn(m, flags.quiet),
      });
      if (!flags.quiet) process.stderr.write(`shipshape: built ${status.path}: ${status.feeds.map((f) => `${f.id} ${f.records}`).join(', ')}\n`);
    });

  feedsOption(common(db.command('update').description('download the feeds from upstream (or --mirror) and rebuild the database')))
    .option('--mirror <url>', 'base URL of a mirror holding the upstream files as BASE/<host>/<path>')
    .action(async (flags: DbFlags) => {
      const { buildDb } = await import('../db/index.js');
      const feeds = await selectFeeds(flags.feeds);
      const bar = progressWanted(flags.quiet) ? progressBar('download') : null;
      const status = await buildDb({
        path: flags.db ?? defaultDbPath(),
        ...(feeds ? { feeds } : {}),
        ...(flags.mirror ? { mirror: flags.mirror } : {}),
        cacheDir: path.join(cacheHome(), 'feeds'),
        onWarning: (m: string) => warn(m, flags.quiet),
        ...(bar ? { onProgress: (done: number, total: number, label: string) => bar.update(done, total, label) } : {}),
      });
      bar?.end();
      if (!flags.quiet) process.stderr.write(`shipshape: updated ${status.path}: ${status.feeds.map((f) => `${f.id} ${f.records}`).join(', ')}\n`);
    });

  withOutput(common(db.command('status').description('show the database schema version, age, digest and what each feed covers')), 'the status')
    .option('-f, --format <format>', 'table or json', 'table')
    .action(async (flags: DbFlags) => {
      const { openDb } = await import('../db/open.js');
      const handle = openDb(flags.db ?? defaultDbPath());
      try {
        const s = handle.status();
        writeOutput(flags.format === 'json' ? `${JSON.stringify(s, null, 2)}\n` : statusText(s), flags.output);
      } finally {
        handle.close();
      }
    });
}
