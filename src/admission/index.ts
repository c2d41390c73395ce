/** Public surface of the admission webhook: the policy, the decision engine, the doors and the server. */
export {
  loadAdmissionPolicy,
  parseAdmissionPolicy,
  admissionPolicySchema,
  DEFAULT_BREAK_GLASS_ANNOTATION,
  type AdmissionPolicy,
  type EffectivePolicy,
  type Mode,
} from './policy.js';
export { AdmissionEngine, type Decision, type DecisionInput, type ImageDecision, type ReasonCode, type VerifyFn, type ResolveTagFn } from './engine.js';
export { handleAdmissionReview, handleImageReview, type HandlerResult, type RequestLog } from './handlers.js';
export { startAdmissionServer, DEFAULT_MAX_BODY_BYTES, DEFAULT_WEBHOOK_TIMEOUT_MS, type AdmissionServer, type ServeOptions } from './server.js';
export { makeWebhookCerts, type CertsOptions, type CertsResult } from './certs.js';
