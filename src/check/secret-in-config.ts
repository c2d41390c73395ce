/** `secret-in-config`: credentials in the image config's Env, Labels or build history; names only, never values. */
import { checkFinding } from './finding.js';
import { assignments, knownToken, secretAssignment } from './secrets.js';
import type { Check } from './types.js';

export const secretInConfig: Check = {
  id: 'secret-in-config',
  severity: 'critical',
  title: 'Secret in the image configuration',
  remediation: 'Pass secrets at run time (orchestrator secrets, mounted files) or use build secrets (`RUN --mount=type=secret`); rotate the exposed credential.',
  url: 'https://docs.docker.com/build/building/secrets/',
  run(img) {
    const where: string[] = [];
    for (const e of img.config.config?.Env ?? []) {
      const i = e.indexOf('=');
      const name = i < 0 ? e : e.slice(0, i);
      if (i >= 0 && secretAssignment(name, e.slice(i + 1))) where.push(`Env ${name}`);
    }
    for (const [k, v] of Object.entries(img.config.config?.Labels ?? {})) {
      if (secretAssignment(k, v)) where.push(`Label ${k}`);
    }
    (img.config.history ?? []).forEach((h, i) => {
      const text = h.created_by ?? '';
      const names = new Set<string>();
      for (const [name, value] of assignments(text)) if (secretAssignment(name, value)) names.add(name);
      const token = names.size ? undefined : knownToken(text);
      if (names.size) where.push(`history[${i}] ${[...names].join(', ')}`);
      else if (token) where.push(`history[${i}] (${token})`);
    });
    // ENV values show up in history too; report each variable once, from the config when it is there.
    const envNames = new Set(where.filter((w) => w.startsWith('Env ')).map((w) => w.slice(4)));
    const kept = where.filter((w) => !w.startsWith('history[') || w.split(' ').slice(1).join(' ').split(', ').some((n) => !envNames.has(n)));
    return kept.map((w) => checkFinding(this, `secret in ${w}`));
  },
};
