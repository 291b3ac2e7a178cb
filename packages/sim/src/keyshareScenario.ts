// The keyshare part of a scenario file: `keyshare` (on/off and the asking options), `trust` (who
// verified whom) and `policy` (history policy, devices that do not answer, rate limits). Keyshare is
// off unless `keyshare` is given, so scenario files written before it run exactly as before.

import { ScenarioError } from './scenario.ts';

/** A token bucket: `capacity` requests, refilled at `perSecond`. */
export interface RateSpec {
  readonly capacity: number;
  readonly perSecond: number;
}

/**
 * Who trusts whom to receive keys: `members` (any device that was a member of the epoch is
 * verified by policy), `all` (every device verified every other), or per device the devices it
 * verified (a device not listed verified nobody).
 */
export type TrustSpec = 'members' | 'all' | Readonly<Record<string, readonly string[]>>;

/** The answering policy every device applies. */
export interface PolicySpec {
  /** `current_members` (default): a removed member gets nothing; `past_members`: members of the epoch do. */
  readonly history: 'current_members' | 'past_members';
  /** Devices with keyshare disabled (they answer every request `disabled`). */
  readonly disabled: readonly string[];
  readonly perRequester: RateSpec;
  readonly overall: RateSpec;
}

/** Keyshare settings of a run. */
export interface KeyshareSpec {
  /** A message is asked for once it has stayed unreadable this long (ms). */
  readonly askAfterMs: number;
  readonly baseBackoffMs: number;
  readonly maxBackoffMs: number;
  /** A request expires this long after it was opened. */
  readonly lifetimeMs: number;
  /** Rounds of asking per message, and the wait between rounds. */
  readonly maxRounds: number;
  readonly reaskAfterMs: number;
  readonly trust: TrustSpec;
  readonly policy: PolicySpec;
}

/** Defaults of the keyshare options in a scenario (simulated ms). */
export const DEFAULT_KEYSHARE_OPTIONS = { askAfterMs: 500, baseBackoffMs: 1000, maxBackoffMs: 8000, lifetimeMs: 60_000, maxRounds: 3, reaskAfterMs: 10_000 } as const;

type Json = unknown;

function fail(path: string, message: string, code: 'bad_field' | 'unknown_device' = 'bad_field'): never {
  throw new ScenarioError(code, path, message);
}

function asObject(v: Json, path: string): Record<string, Json> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(path, 'expected an object');
  return v as Record<string, Json>;
}

function only(o: Record<string, Json>, path: string, keys: readonly string[]): void {
  for (const k of Object.keys(o)) if (!keys.includes(k)) fail(`${path}.${k}`, `unknown field (allowed: ${keys.join(', ')})`);
}

function nonNegative(v: Json, path: string, integer = true): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (integer && !Number.isSafeInteger(v))) fail(path, `expected ${integer ? 'an integer' : 'a number'} >= 0`);
  return v;
}

function deviceNames(v: Json, path: string, devices: Readonly<Record<string, string>>): string[] {
  if (!Array.isArray(v)) fail(path, 'expected an array of device names');
  return v.map((d, i) => {
    if (typeof d !== 'string' || !(d in devices)) fail(`${path}[${i}]`, `unknown device ${JSON.stringify(d)} (devices: ${Object.keys(devices).join(', ')})`, 'unknown_device');
    return d;
  });
}

function rate(v: Json, path: string, fallback: RateSpec): RateSpec {
  if (v === undefined) return fallback;
  const o = asObject(v, path);
  only(o, path, ['capacity', 'perSecond']);
  const capacity = nonNegative(o.capacity ?? fallback.capacity, `${path}.capacity`);
  const perSecond = nonNegative(o.perSecond ?? fallback.perSecond, `${path}.perSecond`, false);
  return { capacity, perSecond };
}

/**
 * Parses the top-level `keyshare`, `trust` and `policy` fields (undefined when keyshare is off).
 * Throws ScenarioError naming the field.
 */
export function parseKeyshareSpec(top: Record<string, Json>, devices: Readonly<Record<string, string>>): KeyshareSpec | undefined {
  const raw = top.keyshare;
  if (raw === undefined || raw === false) {
    if (top.trust !== undefined) fail('trust', 'needs "keyshare" to be on');
    if (top.policy !== undefined) fail('policy', 'needs "keyshare" to be on');
    return undefined;
  }
  const o = raw === true ? {} : asObject(raw, 'keyshare');
  only(o, 'keyshare', Object.keys(DEFAULT_KEYSHARE_OPTIONS));
  const num = (k: keyof typeof DEFAULT_KEYSHARE_OPTIONS): number => (o[k] === undefined ? DEFAULT_KEYSHARE_OPTIONS[k] : nonNegative(o[k], `keyshare.${k}`));
  const options = {
    askAfterMs: num('askAfterMs'),
    baseBackoffMs: Math.max(1, num('baseBackoffMs')),
    maxBackoffMs: Math.max(1, num('maxBackoffMs')),
    lifetimeMs: Math.max(1, num('lifetimeMs')),
    maxRounds: num('maxRounds'),
    reaskAfterMs: num('reaskAfterMs'),
  };

  let trust: TrustSpec = 'members';
  if (top.trust !== undefined) {
    if (top.trust === 'members' || top.trust === 'all') trust = top.trust;
    else if (typeof top.trust === 'string') fail('trust', `expected "members", "all" or an object, got ${JSON.stringify(top.trust)}`);
    else {
      const t = asObject(top.trust, 'trust');
      const map: Record<string, string[]> = {};
      for (const [d, list] of Object.entries(t)) {
        if (!(d in devices)) fail(`trust.${d}`, `unknown device "${d}"`, 'unknown_device');
        map[d] = deviceNames(list, `trust.${d}`, devices);
      }
      trust = map;
    }
  }

  const p = top.policy === undefined ? {} : asObject(top.policy, 'policy');
  only(p, 'policy', ['history', 'disabled', 'perRequester', 'overall']);
  if (p.history !== undefined && p.history !== 'current_members' && p.history !== 'past_members') fail('policy.history', 'expected "current_members" or "past_members"');
  const policy: PolicySpec = {
    history: (p.history as PolicySpec['history'] | undefined) ?? 'current_members',
    disabled: p.disabled === undefined ? [] : deviceNames(p.disabled, 'policy.disabled', devices),
    // Generous defaults: a heal can need one request per (epoch, sender) at once.
    perRequester: rate(p.perRequester, 'policy.perRequester', { capacity: 100, perSecond: 10 }),
    overall: rate(p.overall, 'policy.overall', { capacity: 1000, perSecond: 100 }),
  };
  return { ...options, trust, policy };
}

/** True when `answerer` trusts `requester` under the scenario's trust setting (for `members`, membership of the epoch decides). */
export function isTrustedBy(trust: TrustSpec, answerer: string, requester: string): boolean | 'members' {
  if (trust === 'members') return 'members';
  if (trust === 'all') return true;
  return trust[answerer]?.includes(requester) ?? false;
}
