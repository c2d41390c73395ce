/** Secrets in ENV or ARG land in the image config or build history; findings name the variable, never the value. */
import type { Instruction, KeyValue, Rule, RuleHit } from '../types.js';
import { expand } from '../words.js';

/** Last name part that marks a secret: DB_PASSWORD, API_TOKEN, AWS_SECRET_ACCESS_KEY, STRIPE_API_KEY ... */
const SECRET_LAST_PARTS = new Set(['PASSWORD', 'PASSWD', 'PASS', 'SECRET', 'TOKEN', 'APIKEY', 'KEY', 'CREDENTIALS', 'CREDS']);
/** Name parts that say the value is public or a reference, not a secret: GPG_KEY (a fingerprint), PUBLIC_KEY. */
const NOT_SECRET_PARTS = new Set(['PUBLIC', 'PUB', 'GPG', 'PGP', 'FINGERPRINT']);
/** AWS access key id prefixes (AKIA long-term, ASIA temporary ...), followed by 16 upper-case alphanumerics. */
const AWS_PREFIXES = ['AKIA', 'ASIA', 'AGPA', 'AIDA', 'AROA', 'AIPA', 'ANPA', 'ANVA', 'ABIA', 'ACCA'];

export function secretName(key: string): boolean {
  const parts = key.toUpperCase().split(/[_.-]/).filter((p) => p.length > 0);
  const last = parts[parts.length - 1];
  if (!last || !SECRET_LAST_PARTS.has(last)) return false;
  if (parts.some((p) => NOT_SECRET_PARTS.has(p))) return false;
  // A bare KEY (or PASS) says too little; DB_KEY, API_KEY, PASSWORD, TOKEN are enough.
  if ((last === 'KEY' || last === 'PASS') && parts.length === 1) return false;
  return true;
}

function isUpperAlnum(ch: string): boolean {
  return (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
}

/** An AWS access key id anywhere in the value, found by scanning (no regex on user text). */
export function containsAwsKeyId(value: string): boolean {
  for (const prefix of AWS_PREFIXES) {
    let at = value.indexOf(prefix);
    while (at >= 0) {
      const before = at === 0 ? '' : value[at - 1]!;
      const after = value[at + 20];
      if (!isUpperAlnum(before) && (after === undefined || !isUpperAlnum(after))) {
        let ok = at + 20 <= value.length;
        for (let k = at + 4; ok && k < at + 20; k++) ok = isUpperAlnum(value[k]!);
        if (ok) return true;
      }
      at = value.indexOf(prefix, at + 1);
    }
  }
  return false;
}

/** A literal value: something is left once every variable reference is replaced by nothing. */
function literal(pair: KeyValue, escape: string): boolean {
  if (pair.rawValue === undefined || pair.value === undefined || pair.value.trim() === '') return false;
  return expand(pair.rawValue, new Map(), escape).value.trim() !== '';
}

export const hardcodedSecret: Rule = {
  id: 'hardcoded-secret',
  severity: 'high',
  title: 'Secret in ENV or ARG',
  remediation:
    'Pass secrets at build time with RUN --mount=type=secret (docker build --secret) and at run time from the orchestrator; never bake them into ENV or ARG.',
  url: 'https://docs.docker.com/reference/build-checks/secrets-used-in-arg-or-env/',
  check(ctx) {
    const hits: RuleHit[] = [];
    const visit = (ins: Instruction): void => {
      if (ins.keyword !== 'ENV' && ins.keyword !== 'ARG') return;
      for (const pair of ins.pairs) {
        const name = pair.key.slice(0, 80);
        if (pair.value !== undefined && containsAwsKeyId(pair.value)) {
          hits.push({ line: ins.startLine, message: `${ins.keyword} ${name} holds an AWS access key id`, severity: 'critical' });
        } else if (secretName(pair.key) && literal(pair, ctx.parse.escape)) {
          hits.push({ line: ins.startLine, message: `${ins.keyword} ${name} sets a literal value for what looks like a secret` });
        }
      }
    };
    for (const ins of ctx.parse.instructions) {
      visit(ins);
      if (ins.onbuild) visit(ins.onbuild);
    }
    return hits;
  },
};
