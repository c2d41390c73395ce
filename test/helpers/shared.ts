/** Locates ../shared (images and advisory feeds); tests that need it skip with a clear message when absent. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const sharedDir = path.resolve(repoRoot, '../shared');

/** The path inside ../shared, or undefined (with a note on stderr) when it is not there. */
export function sharedPath(rel: string): string | undefined {
  const p = path.join(sharedDir, rel);
  if (existsSync(p)) return p;
  process.stderr.write(`skipping: ${p} is absent (these tests need ../shared next to the repo)\n`);
  return undefined;
}

export const SHARED_IMAGES = ['alpine-3.7', 'alpine-3.10', 'alpine-3.20', 'debian-bookworm', 'debian-app', 'go-static'] as const;
