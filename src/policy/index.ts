/** Public surface of the policy: load and validate `shipshape.yaml`, read VEX, apply a policy to a report, judge the verdict. */
export type { CheckPolicy, IgnoreRule, NoDataAction, Policy, VexProduct, VexStatement, VexStatus } from './types.js';
export { emptyPolicy } from './types.js';
export { policySchema, DURATION_PATTERN } from './schema.js';
export { findPolicy, loadPolicy, parsePolicy, POLICY_FILE, type ParseOptions } from './load.js';
export { parseVex, parsePurl, purlMatches, imageDigest, type Purl } from './vex.js';
export { applyPolicy, expiryInstant, ruleMatches, statementMatches, type ApplyOptions } from './apply.js';
export { verdictOf, type VerdictExtras } from './verdict.js';
export { withOverrides, enabledChecks, scanSettings, type PolicyOverrides } from './settings.js';
export { compileGlob } from './glob.js';
export { durationMs } from './duration.js';
export { parseYamlChecked, nodeAt, type CheckedYaml } from './yaml-checked.js';
