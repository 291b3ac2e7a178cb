// The answering rules of DESIGN.md section 7, as a pure check: keyshare enabled for the group; the
// requester trusted; a member of the epoch it asks about (public DAG); still a member of the
// canonical head unless the group's history policy lets past members ask; within the per-requester
// and overall rate limits (token buckets driven by the time passed in).
import type { CID } from 'multiformats/cid';
import { toHex } from '@weft/codec';
import type { KeyshareErrorCode } from './errors.ts';
import type { KeyshareRequest, WithheldReason } from './messages.ts';
import type { TrustView } from './trustStore.ts';
import { createShardedMap, filterSharded, getSharded, setSharded, type ShardedMap } from './shardedMap.ts';

/** Membership facts from the public DAG (the merge layer implements this). */
export interface MembershipOracle {
  /** True when the device (signature key) held a leaf in the epoch named by `epoch`. */
  wasMemberOfEpoch(group: CID, epoch: CID, deviceKey: Uint8Array): boolean;
  /** True when the device holds a leaf in the group's canonical head epoch. */
  isMemberOfCanonicalHead(group: CID, deviceKey: Uint8Array): boolean;
  /** The device's leaf index in that epoch, or null. */
  leafOf(group: CID, epoch: CID, deviceKey: Uint8Array): number | null;
}

/** Who may receive history: only current members, or past members too. */
export type HistoryPolicy = 'current_members' | 'past_members';

/** A token bucket's shape: `capacity` tokens, refilled at `perSecond`. */
export interface RateLimit {
  readonly capacity: number;
  readonly perSecond: number;
}

/** Group-level answering settings. */
export interface KeysharePolicy {
  /** Whether this device answers keyshare requests for the group. */
  isEnabled(group: CID): boolean;
  historyPolicy(group: CID): HistoryPolicy;
  /** Trust any device that was a member of the epoch (verified by policy), not only own and verified ones. */
  readonly trustMembers: boolean;
  readonly perRequester: RateLimit;
  readonly overall: RateLimit;
  /** Longest a request may stay valid (bounds the replay cache). */
  readonly maxLifetimeMs: number;
  /** Most requests remembered for replay detection at once. */
  readonly maxRemembered: number;
}

/** Sensible defaults: enabled, current members only, 10 requests then 1 per 6 s per device, 100 then 5/s overall, 24 h lifetime. */
export function createDefaultPolicy(overrides: Partial<KeysharePolicy> = {}): KeysharePolicy {
  return {
    isEnabled: () => true,
    historyPolicy: () => 'current_members',
    trustMembers: false,
    perRequester: { capacity: 10, perSecond: 1 / 6 },
    overall: { capacity: 100, perSecond: 5 },
    maxLifetimeMs: 24 * 3600 * 1000,
    maxRemembered: 100_000,
    ...overrides,
  };
}

/** A token bucket at a point in time. */
export interface TokenBucket {
  readonly tokens: number;
  readonly at: number;
}

/** The answerer's mutable-by-replacement state: rate buckets and the replay cache. */
export interface AnswererState {
  readonly overall: TokenBucket | null;
  /** Per requester device key (hex). */
  readonly perRequester: ShardedMap<TokenBucket>;
  /** Answered request attempts (`hex(from)/hex(id)/attempt`) and cancelled requests -> expiry (ms). */
  readonly seen: ShardedMap<number>;
}

/** An answerer that has answered nothing yet. */
export function createAnswererState(): AnswererState {
  return { overall: null, perRequester: createShardedMap(), seen: createShardedMap() };
}

/** Refills `bucket` to time `now` and takes one token if there is one; null when empty. */
export function takeToken(bucket: TokenBucket | null | undefined, limit: RateLimit, now: number): TokenBucket | null {
  const b = bucket ?? { tokens: limit.capacity, at: now };
  const elapsed = Math.max(0, now - b.at) / 1000;
  const tokens = Math.min(limit.capacity, b.tokens + elapsed * limit.perSecond);
  if (tokens < 1) return null;
  return { tokens: tokens - 1, at: Math.max(now, b.at) };
}

/** The outcome of the policy check: answer (with the state that spends the tokens) or withhold. */
export type PolicyDecision =
  | { readonly kind: 'allow'; readonly state: AnswererState }
  | { readonly kind: 'withhold'; readonly reason: WithheldReason; readonly code: KeyshareErrorCode; readonly detail: string };

/** Key of one request attempt in the replay cache. */
export function replayKey(request: Pick<KeyshareRequest, 'from' | 'id' | 'attempt'>): string {
  return `${toHex(request.from)}/${toHex(request.id)}/${request.attempt}`;
}

/**
 * Runs the answering checks in order (disabled, untrusted, not a member, removed, rate limited)
 * on an authenticated, unexpired, unreplayed request. Pure: on allow, the returned state has the
 * tokens spent and the attempt remembered; on withhold, the caller's state stays as it was.
 */
export function checkRequestPolicy(
  state: AnswererState,
  policy: KeysharePolicy,
  membership: MembershipOracle,
  trust: TrustView,
  request: KeyshareRequest,
  now: number,
): PolicyDecision {
  const { group, epoch, from } = request;
  if (!policy.isEnabled(group)) return withhold('disabled', 'disabled', 'keyshare is disabled for this group');
  const wasMember = membership.wasMemberOfEpoch(group, epoch, from);
  if (!trust.isTrusted(from) && !(policy.trustMembers && wasMember)) return withhold('untrusted', 'untrusted', 'the requesting device is not trusted');
  if (!wasMember) return withhold('not_a_member', 'not_a_member', 'the requester was not a member of that epoch');
  if (policy.historyPolicy(group) === 'current_members' && !membership.isMemberOfCanonicalHead(group, from)) {
    return withhold('not_a_member', 'removed', 'the requester is no longer a member of the group');
  }
  const who = toHex(from);
  const mine = takeToken(getSharded(state.perRequester, who), policy.perRequester, now);
  if (mine === null) return withhold('rate_limited', 'rate_limited', 'the requester is over its rate limit');
  const overall = takeToken(state.overall, policy.overall, now);
  if (overall === null || state.seen.size >= policy.maxRemembered) return withhold('rate_limited', 'rate_limited', 'this device is over its overall rate limit');
  const perRequester = setSharded(state.perRequester, who, mine);
  const seen = setSharded(state.seen, replayKey(request), request.expires);
  return { kind: 'allow', state: { overall, perRequester, seen } };
}

/** Drops replay entries whose requests have expired (they would be refused as expired anyway). */
export function pruneAnswererState(state: AnswererState, now: number): AnswererState {
  const seen = filterSharded(state.seen, (exp) => exp >= now);
  return seen === state.seen ? state : { ...state, seen };
}

function withhold(reason: WithheldReason, code: KeyshareErrorCode, detail: string): PolicyDecision {
  return { kind: 'withhold', reason, code, detail };
}
