/** `--output`/`-o` to a FIFO or device is written in place: a temp file renamed onto it would replace it (as /dev/null once was). */
import { execFileSync, spawn } from 'node:child_process';
import { lstatSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';
import { sharedPath } from './helpers/shared.js';

const image = sharedPath('images/oci/alpine-3.7');

describe.skipIf(!image)('writing output to a FIFO', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'shipshape-fifo-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('the FIFO stays a FIFO and its reader gets the whole document', async () => {
    const fifo = path.join(tmp, 'out');
    execFileSync('mkfifo', [fifo]);
    const reader = spawn('cat', [fifo], { stdio: ['ignore', 'pipe', 'ignore'] });
    let got = '';
    reader.stdout.setEncoding('utf8').on('data', (d: string) => (got += d));
    const closed = new Promise((r) => reader.on('close', r));
    // Renamed onto instead of written, the FIFO would never see a writer: do not wait forever.
    const guard = setTimeout(() => reader.kill('SIGKILL'), 30_000);
    const r = await runCli(['sbom', `oci:${image}:latest`, '-o', fifo, '-q']);
    expect(r.code, r.stderr).toBe(0);
    await closed;
    clearTimeout(guard);
    expect(lstatSync(fifo).isFIFO()).toBe(true);
    expect(JSON.parse(got).bomFormat).toBe('CycloneDX');
  });
});
