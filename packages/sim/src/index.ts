export { createRandom, createDeviceRandom, hashLabel, type SimRandom } from './random.ts';
export { Scheduler, type StopReason } from './scheduler.ts';
export { Network, type LinkProfile, type SiteLink, type NetworkStats } from './network.ts';
export { Site, measureSyncMessage, type SiteEnvironment, type SiteRejection } from './site.ts';
export {
  parseScenario,
  parseScenarioText,
  ScenarioError,
  STEP_KINDS,
  type Scenario,
  type ScenarioErrorCode,
  type Step,
  type StepKind,
  type NetworkSpec,
} from './scenario.ts';
export type { Engine, DeviceFactory } from './engine.ts';
export type { PublicResolver, PublicResolution, ForkDecision } from './resolver.ts';
export { runScenario, type RunOptions, type RunResult, type DeviceOutcome, type SentMessage, type OperationRecord, type PublishedEvent, type DeviceCall, type DeviceCallRecord } from './runner.ts';
export { checkConvergence, checkNoLostMessages, checkRemoveWins, listRemovals, getCanonical, KEYSHARE_REASONS, type InvariantResult, type UnreadMessage, type Removal } from './invariants.ts';
export { buildReport, formatReport, serializeStableReport, labelEvents, type SimReport, type ForkReport, type RebaseReport, type MessageReport } from './report.ts';
export { drawDagSvg } from './dagSvg.ts';
export { mergeEngine, resolveWithLedger } from './mergeEngine.ts';
export { createSiteAuthorizer, type SiteAuthorizer } from './siteAuthorizer.ts';
export { generateRandomScenario, type RandomScenarioOptions } from './randomScenario.ts';
export { parseKeyshareSpec, isTrustedBy, DEFAULT_KEYSHARE_OPTIONS, type KeyshareSpec, type TrustSpec, type PolicySpec, type RateSpec } from './keyshareScenario.ts';
export { KeyshareDriver, type KeyshareRunData, type WireRecord, type KeyshareEnvironment } from './keyshareDriver.ts';
export { DeviceRelay, type RelayedMessage, type RelayEnvironment } from './deviceRelay.ts';
export { buildKeyshareReport, listKeyshareFailures, formatKeyshareReport, type KeyshareReport, type KeyshareUnreadable } from './keyshareReport.ts';
