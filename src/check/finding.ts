/** Builds a check finding with the check's id, severity, title, link and remediation. */
import type { Finding, Location } from '../model/index.js';
import type { Check } from './types.js';

export function checkFinding(check: Check, message: string, locations: Location[] = []): Finding {
  return {
    kind: 'check',
    id: check.id,
    aliases: [],
    severity: check.severity,
    title: check.title,
    message,
    fixedVersion: null,
    locations,
    url: check.url,
    remediation: check.remediation,
  };
}
