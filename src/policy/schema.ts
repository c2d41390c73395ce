/**
 * The JSON Schema (draft 2020-12, https://json-schema.org/draft/2020-12/schema) of `shipshape.yaml`,
 * built from the check registry so that every check id, and only those, can be switched.
 * `shipshape policy schema` prints it for editors (yaml-language-server) and CI linters.
 */
import { checks } from '../check/registry.js';
import { SEVERITIES } from '../model/index.js';

/** `90m`, `36h`, `7d`, `2w`: a number and a unit (the file has no unitless durations). */
export const DURATION_PATTERN = '^[0-9]+(\\.[0-9]+)?(s|m|h|d|w)$';

const severity = {
  description: 'a severity, lower or upper case',
  enum: [...SEVERITIES, ...SEVERITIES.map((s) => s.toUpperCase())],
};
const duration = { type: 'string', pattern: DURATION_PATTERN, description: 'a duration: 90m, 36h, 7d, 2w' };
const nonEmpty = { type: 'string', minLength: 1 };

export const policySchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://shipshape.dev/schemas/policy/v1.json',
  title: 'shipshape policy (shipshape.yaml)',
  type: 'object',
  additionalProperties: false,
  properties: {
    failOn: { ...severity, description: 'lowest severity that fails the verdict (exit 1)' },
    failOnUnknown: {
      type: 'boolean',
      description: 'fail the verdict on vulnerabilities whose severity is unknown (no vendor severity and no CVSS score from NVD)',
    },
    ignoreUnfixed: { type: 'boolean', description: 'leave out vulnerabilities without a fixed version' },
    maxDbAge: { ...duration, description: 'refuse to scan with a database older than this' },
    noData: {
      enum: ['warn', 'fail'],
      description: 'the database has no advisories for the image OS release: warn (default) or fail the verdict',
    },
    checks: {
      type: 'object',
      description: 'image checks: check id → on/off (unlisted checks are on), and check settings',
      additionalProperties: false,
      properties: {
        ...Object.fromEntries(checks.map((c) => [c.id, { type: 'boolean', description: c.title }])),
        requireMinimal: { type: 'boolean', description: 'fail unless the image has no shell, package manager, root user or setuid file' },
        maxImageAge: { ...duration, description: 'stale-image: images created longer ago than this are reported (default 90d)' },
      },
    },
    allowedRegistries: {
      type: 'array',
      description: 'registries images may come from: host[:port][/path prefix]',
      items: nonEmpty,
    },
    allowedBaseImages: {
      type: 'array',
      description: 'base images a Dockerfile may build FROM (references; * globs allowed)',
      items: nonEmpty,
    },
    ignore: {
      type: 'array',
      description: 'findings to suppress, each with a reason and optionally an expiry date',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'reason'],
        properties: {
          id: { ...nonEmpty, description: 'advisory id or alias (CVE-…, GHSA-…) or a check id' },
          package: { ...nonEmpty, description: 'package name; absent = any package' },
          path: { ...nonEmpty, description: 'glob on the finding location path: *, **, ?' },
          reason: { ...nonEmpty, description: 'why this is acceptable' },
          owner: { ...nonEmpty, description: 'who answers for it' },
          expires: { type: 'string', format: 'date', description: 'YYYY-MM-DD; applies until the end of that day (UTC)' },
        },
      },
    },
    vex: {
      type: 'array',
      description: 'OpenVEX or CycloneDX VEX documents, paths relative to this file',
      items: nonEmpty,
    },
  },
} as const;
