// Scenario files: the typed shape, and a parser that turns any bad input into a ScenarioError that
// names the problem and where it is (e.g. `steps[3].by: unknown device "z"`).

import type { SiteLink } from './network.ts';
import { parseKeyshareSpec, type KeyshareSpec } from './keyshareScenario.ts';

/** Codes of scenario problems. */
export type ScenarioErrorCode =
  | 'bad_json'
  | 'bad_field'
  | 'unknown_step'
  | 'unknown_device'
  | 'unknown_site'
  | 'bad_time'
  | 'bad_order';

/** A problem in a scenario file; `path` points at the offending field. */
export class ScenarioError extends Error {
  readonly code: ScenarioErrorCode;
  readonly path: string;
  constructor(code: ScenarioErrorCode, path: string, message: string) {
    super(path ? `${path}: ${message}` : message);
    this.name = 'ScenarioError';
    this.code = code;
    this.path = path;
  }
}

/** Network settings of a scenario. */
export interface NetworkSpec {
  /** Site-to-site latency range in simulated ms. */
  readonly latency: readonly [number, number];
  /** Probability that a site-to-site message is dropped. */
  readonly loss: number;
  /** Device-to-own-site latency range (default [1, 3]); this hop never drops. */
  readonly deviceLatency: readonly [number, number];
  /** Anti-entropy retry interval of a site toward a peer it may be out of sync with (default 4 x max latency + 10). */
  readonly syncIntervalMs: number;
  /** Per-link overrides. */
  readonly links: readonly SiteLink[];
}

/** When a step runs: at an absolute time, a delay after the previous step, or (neither) once the network is quiet. */
export interface StepTiming {
  readonly at?: number;
  readonly delay?: number;
  /** Optional label; the report names commits and messages made by this step with it. */
  readonly id?: string;
}

export type Step = StepTiming &
  (
    | { readonly do: 'create'; readonly by: string }
    | { readonly do: 'add'; readonly by: string; readonly members: readonly string[] }
    | { readonly do: 'remove'; readonly by: string; readonly members: readonly string[] }
    | { readonly do: 'update'; readonly by: string }
    | { readonly do: 'send'; readonly by: string; readonly text: string }
    | { readonly do: 'partition'; readonly groups: readonly (readonly string[])[] }
    | { readonly do: 'heal' }
    | { readonly do: 'offline'; readonly device: string }
    | { readonly do: 'online'; readonly device: string }
    | { readonly do: 'settle' }
    /** Takes one site-to-site link down (it stays down through heals until `restore`), or brings it back. */
    | { readonly do: 'cut' | 'restore'; readonly between: readonly [string, string] }
    /** Keyshare: `by` asks for the keys of the message made by the send step with id `message` (entitled or not). */
    | { readonly do: 'ask'; readonly by: string; readonly message: string }
  );

export type StepKind = Step['do'];

/** Step kinds the parser knows. */
export const STEP_KINDS: readonly StepKind[] = ['create', 'add', 'remove', 'update', 'send', 'partition', 'heal', 'offline', 'online', 'settle', 'ask', 'cut', 'restore'];

/** A parsed, checked scenario. */
export interface Scenario {
  readonly name: string;
  readonly description?: string;
  /** MLS cipher suite id (default 1). */
  readonly suite: 1 | 2 | 3;
  /** Seed used when the command line gives none (default 1). */
  readonly seed: number;
  readonly sites: readonly string[];
  /** Device name to its site. */
  readonly devices: Readonly<Record<string, string>>;
  readonly network: NetworkSpec;
  /** Device retention (DAG heights); the engine default when absent. */
  readonly retention?: { readonly forkHorizon: number; readonly messageHorizon: number };
  /** Rebase duty interval (simulated ms); the engine default when absent. */
  readonly rebaseIntervalMs?: number;
  /** Bounds of the run; hitting one is reported as a failure (the network never went quiet). */
  readonly limits: { readonly maxTimeMs: number; readonly maxSteps: number };
  readonly steps: readonly Step[];
  /** Keyshare settings (`keyshare`, `trust`, `policy` in the file); absent: keyshare is off. */
  readonly keyshare?: KeyshareSpec;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

const NAME = /^[A-Za-z0-9_.:-]{1,64}$/;

/** Parses scenario JSON text; throws ScenarioError on any problem. */
export function parseScenarioText(text: string): Scenario {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ScenarioError('bad_json', '', `not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  return parseScenario(raw);
}

/** Checks a decoded scenario object; throws ScenarioError naming the first problem. */
export function parseScenario(raw: unknown): Scenario {
  const top = object(raw, '');
  allowOnly(top, '', ['name', 'description', 'suite', 'seed', 'sites', 'devices', 'network', 'retention', 'rebaseIntervalMs', 'limits', 'steps', 'keyshare', 'trust', 'policy']);
  const name = string(top.name, 'name');
  const description = top.description === undefined ? undefined : string(top.description, 'description');
  const suiteRaw = top.suite === undefined ? 1 : integer(top.suite, 'suite', 1);
  if (suiteRaw !== 1 && suiteRaw !== 2 && suiteRaw !== 3) throw new ScenarioError('bad_field', 'suite', `cipher suite must be 1, 2 or 3, not ${suiteRaw}`);
  const seed = top.seed === undefined ? 1 : integer(top.seed, 'seed', 0);

  const sites = array(top.sites, 'sites').map((s, i) => identifier(s, `sites[${i}]`));
  if (sites.length === 0) throw new ScenarioError('bad_field', 'sites', 'at least one site is needed');
  duplicates(sites, 'sites');
  const siteSet = new Set(sites);

  const devObj = object(top.devices, 'devices');
  const devices: Record<string, string> = {};
  for (const [d, s] of Object.entries(devObj)) {
    identifier(d, `devices.${d}`);
    const site = string(s, `devices.${d}`);
    if (!siteSet.has(site)) throw new ScenarioError('unknown_site', `devices.${d}`, `unknown site "${site}" (sites: ${sites.join(', ')})`);
    devices[d] = site;
  }
  if (Object.keys(devices).length === 0) throw new ScenarioError('bad_field', 'devices', 'at least one device is needed');

  const network = parseNetwork(top.network, siteSet);
  let retention: Scenario['retention'];
  if (top.retention !== undefined) {
    const r = object(top.retention, 'retention');
    allowOnly(r, 'retention', ['forkHorizon', 'messageHorizon']);
    retention = { forkHorizon: integer(r.forkHorizon, 'retention.forkHorizon', 0), messageHorizon: integer(r.messageHorizon, 'retention.messageHorizon', 0) };
  }
  const rebaseIntervalMs = top.rebaseIntervalMs === undefined ? undefined : integer(top.rebaseIntervalMs, 'rebaseIntervalMs', 1);
  let limits = { maxTimeMs: 3_600_000, maxSteps: 2_000_000 };
  if (top.limits !== undefined) {
    const l = object(top.limits, 'limits');
    allowOnly(l, 'limits', ['maxTimeMs', 'maxSteps']);
    limits = {
      maxTimeMs: l.maxTimeMs === undefined ? limits.maxTimeMs : integer(l.maxTimeMs, 'limits.maxTimeMs', 1),
      maxSteps: l.maxSteps === undefined ? limits.maxSteps : integer(l.maxSteps, 'limits.maxSteps', 1),
    };
  }

  const steps = array(top.steps, 'steps').map((s, i) => parseStep(s, `steps[${i}]`, devices, siteSet));
  checkOrder(steps);
  const keyshare = parseKeyshareSpec(top, devices);
  steps.forEach((s, i) => {
    if (s.do !== 'ask') return;
    if (!keyshare) throw new ScenarioError('bad_field', `steps[${i}]`, '"ask" needs "keyshare" to be on');
    if (!steps.some((x, j) => j < i && x.do === 'send' && x.id === s.message)) throw new ScenarioError('bad_field', `steps[${i}].message`, `no earlier send step has id "${s.message}"`);
  });
  return {
    name,
    ...(description !== undefined ? { description } : {}),
    suite: suiteRaw,
    seed,
    sites,
    devices,
    network,
    ...(retention ? { retention } : {}),
    ...(rebaseIntervalMs !== undefined ? { rebaseIntervalMs } : {}),
    limits,
    steps,
    ...(keyshare ? { keyshare } : {}),
  };
}

function parseNetwork(raw: Json | undefined, sites: Set<string>): NetworkSpec {
  const n = raw === undefined ? {} : object(raw, 'network');
  allowOnly(n, 'network', ['latency', 'loss', 'deviceLatency', 'syncIntervalMs', 'links']);
  const latency = n.latency === undefined ? ([5, 20] as const) : range(n.latency, 'network.latency');
  const loss = n.loss === undefined ? 0 : probability(n.loss, 'network.loss');
  const deviceLatency = n.deviceLatency === undefined ? ([1, 3] as const) : range(n.deviceLatency, 'network.deviceLatency');
  const links: SiteLink[] = (n.links === undefined ? [] : array(n.links, 'network.links')).map((l, i) => {
    const p = `network.links[${i}]`;
    const o = object(l, p);
    allowOnly(o, p, ['between', 'latency', 'loss']);
    const between = array(o.between, `${p}.between`).map((s, j) => string(s, `${p}.between[${j}]`));
    if (between.length !== 2 || between[0] === between[1]) throw new ScenarioError('bad_field', `${p}.between`, 'must name two different sites');
    for (const s of between) if (!sites.has(s)) throw new ScenarioError('unknown_site', `${p}.between`, `unknown site "${s}"`);
    return {
      between: [between[0]!, between[1]!] as const,
      latency: o.latency === undefined ? latency : range(o.latency, `${p}.latency`),
      loss: o.loss === undefined ? loss : probability(o.loss, `${p}.loss`),
    };
  });
  const maxLatency = Math.max(latency[1], ...links.map((l) => l.latency[1]));
  const syncIntervalMs = n.syncIntervalMs === undefined ? 4 * maxLatency + 10 : integer(n.syncIntervalMs, 'network.syncIntervalMs', 1);
  return { latency, loss, deviceLatency, syncIntervalMs, links };
}

function parseStep(raw: Json, path: string, devices: Record<string, string>, sites: Set<string>): Step {
  const o = object(raw, path);
  const kind = string(o.do, `${path}.do`);
  if (!(STEP_KINDS as readonly string[]).includes(kind)) {
    throw new ScenarioError('unknown_step', `${path}.do`, `unknown step kind "${kind}" (known: ${STEP_KINDS.join(', ')})`);
  }
  const timing: { at?: number; delay?: number; id?: string } = {};
  if (o.at !== undefined) timing.at = time(o.at, `${path}.at`);
  if (o.delay !== undefined) timing.delay = time(o.delay, `${path}.delay`);
  if (timing.at !== undefined && timing.delay !== undefined) throw new ScenarioError('bad_time', path, 'give "at" or "delay", not both');
  if (o.id !== undefined) timing.id = identifier(o.id, `${path}.id`);
  const device = (v: Json | undefined, p: string): string => {
    const d = string(v, p);
    if (!(d in devices)) throw new ScenarioError('unknown_device', p, `unknown device "${d}" (devices: ${Object.keys(devices).join(', ')})`);
    return d;
  };
  const deviceList = (v: Json | undefined, p: string): string[] => {
    const list = array(v, p).map((d, i) => device(d, `${p}[${i}]`));
    if (list.length === 0) throw new ScenarioError('bad_field', p, 'needs at least one device');
    duplicates(list, p);
    return list;
  };
  const common = ['do', 'at', 'delay', 'id'];
  switch (kind as StepKind) {
    case 'create':
    case 'update':
      allowOnly(o, path, [...common, 'by']);
      return { ...timing, do: kind as 'create' | 'update', by: device(o.by, `${path}.by`) };
    case 'add':
    case 'remove':
      allowOnly(o, path, [...common, 'by', 'members']);
      return { ...timing, do: kind as 'add' | 'remove', by: device(o.by, `${path}.by`), members: deviceList(o.members, `${path}.members`) };
    case 'send':
      allowOnly(o, path, [...common, 'by', 'text']);
      return { ...timing, do: 'send', by: device(o.by, `${path}.by`), text: string(o.text, `${path}.text`) };
    case 'partition': {
      allowOnly(o, path, [...common, 'groups']);
      const groups = array(o.groups, `${path}.groups`).map((g, i) =>
        array(g, `${path}.groups[${i}]`).map((s, j) => {
          const site = string(s, `${path}.groups[${i}][${j}]`);
          if (!sites.has(site)) throw new ScenarioError('unknown_site', `${path}.groups[${i}][${j}]`, `unknown site "${site}"`);
          return site;
        }),
      );
      duplicates(groups.flat(), `${path}.groups`);
      return { ...timing, do: 'partition', groups };
    }
    case 'heal':
    case 'settle':
      allowOnly(o, path, common);
      return { ...timing, do: kind as 'heal' | 'settle' };
    case 'offline':
    case 'online':
      allowOnly(o, path, [...common, 'device']);
      return { ...timing, do: kind as 'offline' | 'online', device: device(o.device, `${path}.device`) };
    case 'cut':
    case 'restore': {
      allowOnly(o, path, [...common, 'between']);
      const between = array(o.between, `${path}.between`).map((x, i) => {
        const site = string(x, `${path}.between[${i}]`);
        if (!sites.has(site)) throw new ScenarioError('unknown_site', `${path}.between[${i}]`, `unknown site "${site}"`);
        return site;
      });
      if (between.length !== 2 || between[0] === between[1]) throw new ScenarioError('bad_field', `${path}.between`, 'must name two different sites');
      return { ...timing, do: kind as 'cut' | 'restore', between: [between[0]!, between[1]!] as const };
    }
    case 'ask':
      allowOnly(o, path, [...common, 'by', 'message']);
      return { ...timing, do: 'ask', by: device(o.by, `${path}.by`), message: identifier(o.message, `${path}.message`) };
  }
}

/** Absolute times may not go backwards; there must be exactly one create, and it comes first. */
function checkOrder(steps: readonly Step[]): void {
  let last = 0;
  steps.forEach((s, i) => {
    if (s.at !== undefined) {
      if (s.at < last) throw new ScenarioError('bad_time', `steps[${i}].at`, `time ${s.at} is before an earlier step's time ${last}`);
      last = s.at;
    }
  });
  const creates = steps.map((s, i) => (s.do === 'create' ? i : -1)).filter((i) => i >= 0);
  if (creates.length !== 1) throw new ScenarioError('bad_order', 'steps', `exactly one "create" step is needed, found ${creates.length}`);
  const first = steps.findIndex((s) => 'by' in s);
  if (first !== creates[0]) throw new ScenarioError('bad_order', `steps[${first}]`, 'the first device operation must be "create"');
}

function object(v: Json | unknown, path: string): JsonObject {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ScenarioError('bad_field', path, `expected an object, got ${describe(v)}`);
  return v as JsonObject;
}

function array(v: Json | undefined, path: string): Json[] {
  if (!Array.isArray(v)) throw new ScenarioError('bad_field', path, `expected an array, got ${describe(v)}`);
  return v;
}

function string(v: Json | undefined, path: string): string {
  if (typeof v !== 'string') throw new ScenarioError('bad_field', path, `expected a string, got ${describe(v)}`);
  return v;
}

function identifier(v: Json | undefined, path: string): string {
  const s = string(v, path);
  if (!NAME.test(s)) throw new ScenarioError('bad_field', path, `"${s}" is not a valid name (letters, digits, _ . : -, at most 64)`);
  return s;
}

function integer(v: Json | undefined, path: string, min: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) throw new ScenarioError('bad_field', path, `expected an integer >= ${min}, got ${describe(v)}`);
  return v;
}

function time(v: Json | undefined, path: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || !Number.isInteger(v)) throw new ScenarioError('bad_time', path, `expected a whole number of simulated ms >= 0, got ${describe(v)}`);
  return v;
}

function probability(v: Json | undefined, path: string): number {
  if (typeof v !== 'number' || !(v >= 0 && v < 1)) throw new ScenarioError('bad_field', path, `expected a probability in [0, 1), got ${describe(v)}`);
  return v;
}

function range(v: Json | undefined, path: string): readonly [number, number] {
  const a = array(v, path);
  if (a.length !== 2) throw new ScenarioError('bad_field', path, 'expected [min, max]');
  const lo = time(a[0], `${path}[0]`);
  const hi = time(a[1], `${path}[1]`);
  if (hi < lo) throw new ScenarioError('bad_field', path, `max ${hi} is below min ${lo}`);
  return [lo, hi];
}

function allowOnly(o: JsonObject, path: string, keys: readonly string[]): void {
  for (const k of Object.keys(o)) {
    if (!keys.includes(k)) throw new ScenarioError('bad_field', path ? `${path}.${k}` : k, `unknown field (allowed: ${keys.join(', ')})`);
  }
}

function duplicates(list: readonly string[], path: string): void {
  const seen = new Set<string>();
  for (const x of list) {
    if (seen.has(x)) throw new ScenarioError('bad_field', path, `"${x}" appears twice`);
    seen.add(x);
  }
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `"${v.length > 40 ? v.slice(0, 40) + '...' : v}"`;
  return typeof v === 'object' ? 'an object' : String(v);
}
