/**
 * User-level: every command takes the common flags alike where they make sense: `-q/--quiet`
 * everywhere, `-f/--format` and `-o/--output` wherever a command writes a report or document,
 * `--policy` wherever it judges (scan, lint, policy check). Read from each command's --help, so a
 * command added later is held to the same rule.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'shipshape-flags-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Names under "Commands:" in a help text (without `help`). */
function commandsOf(help: string): string[] {
  const at = help.indexOf('Commands:');
  if (at < 0) return [];
  return help
    .slice(at)
    .split('\n')
    .slice(1)
    .map((l) => /^ {2}(\S+)/.exec(l)?.[1])
    .filter((c): c is string => !!c && c !== 'help');
}

/** Every leaf command path, e.g. ['scan'], ['db', 'status']. */
async function leafCommands(prefix: string[] = []): Promise<Array<{ path: string[]; help: string }>> {
  const r = await runCli([...prefix, '--help']);
  const subs = commandsOf(r.stdout);
  if (prefix.length && subs.length === 0) return [{ path: prefix, help: r.stdout }];
  const out: Array<{ path: string[]; help: string }> = [];
  for (const s of subs) out.push(...(await leafCommands([...prefix, s])));
  return out;
}

describe('common flags', () => {
  it('every command takes -q/--quiet; --format is -f and --output is -o wherever they exist', async () => {
    const leaves = await leafCommands();
    expect(leaves.map((l) => l.path.join(' '))).toEqual(expect.arrayContaining(['scan', 'lint', 'sbom', 'db build', 'db update', 'db status', 'policy check', 'policy schema']));
    for (const { path: p, help } of leaves) {
      const name = p.join(' ');
      expect(help, name).toMatch(/-q, --quiet/);
      if (/--format\b/.test(help)) expect(help, name).toMatch(/-f, --format/);
      if (/--output\b/.test(help)) expect(help, name).toMatch(/-o, --output/);
    }
    const byName = new Map(leaves.map((l) => [l.path.join(' '), l.help]));
    for (const judged of ['scan', 'lint', 'policy check']) expect(byName.get(judged), judged).toMatch(/--policy <file>/);
    for (const reporting of ['scan', 'lint', 'sbom', 'db status']) expect(byName.get(reporting), reporting).toMatch(/-f, --format[\s\S]*-o, --output|-o, --output[\s\S]*-f, --format/);
  });

  it('shipshape lint --quiet (was "unknown option") lints as before, nothing on stderr', async () => {
    const file = path.join(tmp, 'Dockerfile');
    writeFileSync(file, 'FROM scratch\nCOPY app /app\nUSER 65532\nENTRYPOINT ["/app"]\n');
    const r = await runCli(['lint', file, '--quiet', '-f', 'json', '--no-policy']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).findings).toEqual([]);
  });

  it('policy schema -o writes the file; policy check --policy FILE -q prints nothing and exits 0', async () => {
    const schema = path.join(tmp, 'schema.json');
    const s = await runCli(['policy', 'schema', '-o', schema]);
    expect(s.code, s.stderr).toBe(0);
    expect(s.stdout).toBe('');
    expect(JSON.parse(readFileSync(schema, 'utf8'))).toHaveProperty('properties');
    const policy = path.join(tmp, 'shipshape.yaml');
    writeFileSync(policy, 'failOn: high\n');
    const c = await runCli(['policy', 'check', '--policy', policy, '-q']);
    expect([c.code, c.stdout, c.stderr]).toEqual([0, '', '']);
  });
});
