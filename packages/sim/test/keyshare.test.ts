// Keyshare in the simulator: the two keyshare scenario files with their specific outcome (who asked
// whom, what was answered or withheld, which messages each device reads), refusals of forged and
// replayed requests against the devices' real end state, determinism, and scenario parsing.
import { describe, expect, it } from 'vitest';
import { decodeDagCborStrict } from '@weft/dag';
import { decodeKeyshareMessage, encodeAnswererState, encodeDeviceState, encodeRequesterState, type KeyshareDevice } from '@weft/keyshare';
import { parseScenario, ScenarioError, serializeStableReport } from '../src/index.ts';
import type { RunResult, SimReport } from '../src/index.ts';
import { readersOf, runScenarioFile } from './support/runFile.ts';

function expectKeyshareClean(report: SimReport): void {
  expect(report.failures).toEqual([]);
  expect(report.ok).toBe(true);
  expect(report.invariants).toEqual({ convergence: true, noLostMessages: true, removeWins: true });
  expect(report.deviceErrors).toEqual([]);
  expect(report.deviceRejections).toEqual([]);
  expect(report.keyshare?.leaks).toBe(0);
  expect(report.keyshare?.unreadableEntitled).toBe(0);
}

/** Exchanges without their time: `from->to type epoch [reason] #attempt [messages]`. */
function exchanges(report: SimReport): string[] {
  return report.keyshare!.exchanges.map((e) => e.slice(e.indexOf(' ') + 1));
}

function wireOf(run: RunResult, from: string, to: string, type: string): Uint8Array {
  const w = run.keyshare!.wire.find((x) => x.from === from && x.to === to && x.type === type);
  if (!w) throw new Error(`no ${type} ${from}->${to}`);
  return w.bytes;
}

/** Everything keyshare holds on a device, as the bytes it would persist (equal: nothing changed). */
function stateOf(d: KeyshareDevice): string {
  const s = d.exportState();
  return [encodeAnswererState(s.answerer), encodeRequesterState(s.requester), encodeDeviceState(s)].map((b) => Buffer.from(b).toString('hex')).join('/');
}

describe('scenario 8: a device that joined on one side asks for the other side\'s history (keyshare.json)', () => {
  const result = runScenarioFile('keyshare');

  it('every entitled device reads every message; refusals are explicit and the next member answers', async () => {
    const { report } = await result;
    expectKeyshareClean(report);
    const ks = report.keyshare!;
    // london (alice, bob) cannot process ny's branch and ny (carol, dave) cannot process london's:
    // each asks the sender first. Carol has not verified bob; nobody has verified xavier; alice,
    // asked next by bob, holds no keys for ny's epoch either.
    expect(exchanges(report)).toEqual([
      'alice->carol request ny-update #0 [ny-1]',
      'alice->dave request ny-update #0 [ny-2]',
      'bob->carol request ny-update #0 [ny-1]',
      'bob->dave request ny-update #0 [ny-2]',
      'carol->xavier request london-adds-xavier #0 [london-1]',
      'dave->xavier request london-adds-xavier #0 [london-1]',
      'dave->alice answer ny-update #0',
      'carol->bob withheld ny-update untrusted #0',
      'carol->alice answer ny-update #0',
      'xavier->carol withheld london-adds-xavier untrusted #0',
      'dave->bob answer ny-update #0',
      'xavier->dave withheld london-adds-xavier untrusted #0',
      'bob->alice request ny-update #1 [ny-1]',
      'alice->bob withheld ny-update unavailable #1',
      'carol->alice request london-adds-xavier #1 [london-1]',
      'bob->dave request ny-update #2 [ny-1]',
      'dave->alice request london-adds-xavier #1 [london-1]',
      'dave->bob answer ny-update #2',
      'alice->carol answer london-adds-xavier #1',
      'alice->dave answer london-adds-xavier #1',
      'carol->xavier cancel london-adds-xavier',
      'bob->carol cancel ny-update',
      'bob->alice cancel ny-update',
      'dave->xavier cancel london-adds-xavier',
      // the ask step: xavier joined on the london side and was never a member of ny's epoch
      'xavier->carol request ny-update #0 [ny-1]',
      'carol->xavier withheld ny-update not_a_member #0',
      'xavier->alice request ny-update #1 [ny-1]',
      'alice->xavier withheld ny-update not_a_member #1',
      'xavier->bob request ny-update #2 [ny-1]',
      'bob->xavier withheld ny-update not_a_member #2',
      'xavier->dave request ny-update #3 [ny-1]',
      'dave->xavier withheld ny-update not_a_member #3',
      'xavier->carol cancel ny-update',
      'xavier->alice cancel ny-update',
      'xavier->bob cancel ny-update',
      'xavier->dave cancel ny-update',
    ]);
    expect([ks.requests, ks.answered, ks.cancels]).toEqual([14, 6, 8]);
    expect(ks.withheld).toEqual({ not_a_member: 4, unavailable: 1, untrusted: 3 });
    expect(ks.recovered.map((r) => `${r.device} ${r.message} from ${r.from}`).sort()).toEqual([
      'alice ny-1 from carol',
      'alice ny-2 from dave',
      'bob ny-1 from dave',
      'bob ny-2 from dave',
      'carol london-1 from alice',
      'dave london-1 from alice',
    ]);
    expect(ks.timeToReadMs.median).not.toBeNull();
    expect(ks.timeToReadMs.max!).toBeGreaterThanOrEqual(ks.timeToReadMs.median!);
    expect(ks.timeToReadMs.max).toBe(Math.max(...ks.recovered.map((r) => r.waitedMs)));
    // Readers: both sides read everything of epochs they were members of; xavier only what it joined for.
    const four = ['alice', 'bob', 'carol', 'dave'];
    expect(readersOf(report, 'hello')).toEqual(four);
    expect(readersOf(report, 'ny-1')).toEqual(four);
    expect(readersOf(report, 'ny-2')).toEqual(four);
    expect(readersOf(report, 'london-1')).toEqual([...four, 'xavier'].sort());
    expect(readersOf(report, 'after')).toEqual([...four, 'xavier'].sort());
    expect(report.members).toEqual([...four, 'xavier'].sort());
  });

  it('xavier\'s unreadable ny message says why and how long it waited', async () => {
    const { run } = await result;
    const xavier = run.devices.find((d) => d.id === 'xavier')!;
    const ny1 = run.messages.find((m) => m.label === 'ny-1')!;
    const seen = xavier.view.messages.find((m) => m.cid === ny1.cid)!;
    expect(seen.text).toBeNull();
    expect(seen.keyshare).toBe('withheld:not_a_member');
    expect(seen.waitedMs).toBeGreaterThan(0);
    const entry = run.keyshare!.devices.find((d) => d.id === 'xavier')!.unreadable.find((u) => u.cid === ny1.cid)!;
    expect([entry.member, entry.reason, entry.waitedMs]).toEqual([false, 'withheld:not_a_member', seen.waitedMs]);
  });

  it('a replayed request and a request with a forged signature get no reply, with their code', async () => {
    const { run } = await result;
    const carol = run.keyshare!.runtimes.get('carol')!;
    const answered = wireOf(run, 'alice', 'carol', 'request');
    const logBefore = carol.listKeyshareLog().length;
    const stateBefore = stateOf(carol);
    const replay = carol.receiveDeviceMessage(answered, run.endTime);
    expect(replay.rejected?.map((r) => r.code)).toEqual(['replayed']);
    expect(replay.deviceMessages ?? []).toEqual([]);
    // One bit of the signature flipped (found by decoding: canonical key order puts `sig` mid-message).
    const sig = (decodeDagCborStrict(answered) as Record<string, unknown>)['sig'] as Uint8Array;
    const at = Buffer.from(answered).indexOf(Buffer.from(sig));
    expect(at).toBeGreaterThan(0);
    const forged = answered.slice();
    forged[at + sig.length - 1] = (forged[at + sig.length - 1] as number) ^ 0x40;
    const out = carol.receiveDeviceMessage(forged, run.endTime);
    expect(out.rejected?.map((r) => r.code)).toEqual(['forged']);
    expect(out.deviceMessages ?? []).toEqual([]);
    // Nothing but the two refusals was recorded.
    expect(carol.listKeyshareLog().slice(logBefore).map((l) => [l.kind, l.reason])).toEqual([
      ['refused', 'replayed'],
      ['refused', 'forged'],
    ]);
    expect(stateOf(carol)).toBe(stateBefore);
  });

  it('the request refused as not_a_member really came from xavier and named ny\'s epoch', async () => {
    const { run } = await result;
    const req = decodeKeyshareMessage(run.keyshare!.runtimes.get('carol')!.identity.cs, wireOf(run, 'xavier', 'carol', 'request')).message;
    expect(req.type).toBe('request');
    expect(req.epoch.toString()).toBe(run.messages.find((m) => m.label === 'ny-1')!.epoch);
    expect(Buffer.from(req.from).toString('hex')).toBe(run.keyshare!.runtimes.get('xavier')!.getDeviceKey());
  });

  it('is deterministic: same seed, byte-identical report apart from timing', async () => {
    const { report } = await result;
    const again = await runScenarioFile('keyshare');
    expect(serializeStableReport(again.report)).toBe(serializeStableReport(report));
  });
});

describe('keyshare across a relay: london and ny cut from each other, both reach the relay site (keyshare-relay.json)', () => {
  const result = runScenarioFile('keyshare-relay');

  it('every request and answer crosses through the relay; every device reads every message', async () => {
    const { run, report } = await result;
    expectKeyshareClean(report);
    const ks = report.keyshare!;
    expect(exchanges(report)).toEqual([
      'alice->dave request ny-update #0 [ny-1]',
      'alice->carol request ny-update #0 [ny-2]',
      'bob->dave request ny-update #0 [ny-1]',
      'bob->carol request ny-update #0 [ny-2]',
      'carol->bob request london-update #0 [london-1]',
      'dave->bob request london-update #0 [london-1]',
      'dave->alice request london-update-2 #0 [london-2]',
      'carol->alice request london-update-2 #0 [london-2]',
      'dave->alice answer ny-update #0',
      'bob->carol answer london-update #0',
      'bob->dave answer london-update #0',
      'carol->alice answer ny-update #0',
      'alice->carol answer london-update-2 #0',
      'carol->bob answer ny-update #0',
      'alice->dave answer london-update-2 #0',
      'dave->bob answer ny-update #0',
    ]);
    expect(ks.withheld).toEqual({});
    // 16 messages, each london->relay->ny or back: two site hops each, one local delivery each.
    expect(ks.relayed).toEqual({ forwarded: 32, delivered: 16, unroutable: 0 });
    expect(run.keyshare!.relays.find((r) => r.site === 'relay')).toEqual({ site: 'relay', forwarded: 16, delivered: 0, unroutable: 0 });
    expect(ks.recovered.map((r) => `${r.device} ${r.message} from ${r.from}`).sort()).toEqual([
      'alice ny-1 from dave',
      'alice ny-2 from carol',
      'bob ny-1 from dave',
      'bob ny-2 from carol',
      'carol london-1 from bob',
      'carol london-2 from alice',
      'dave london-1 from bob',
      'dave london-2 from alice',
    ]);
    const all = ['alice', 'bob', 'carol', 'dave'];
    for (const m of ['hello', 'london-1', 'ny-1', 'london-2', 'ny-2', 'after']) expect(readersOf(report, m)).toEqual(all);
  });

  it('without keyshare the same run leaves exactly those eight (device, message) pairs unreadable, each past the fork horizon', async () => {
    const { scenario } = await result.then((r) => ({ scenario: r.run.scenario }));
    const { keyshare: _off, ...rest } = scenario;
    const { runScenario, buildReport, mergeEngine } = await import('../src/index.ts');
    const report = buildReport(await runScenario(rest, { engine: mergeEngine }));
    expect(report.keyshare).toBeUndefined();
    // base_evicted: the fork base's tree keys are past the horizon; no_world: the epoch above such a one.
    expect(report.messages.needsKeyshare.map((u) => `${u.device} ${u.label} ${u.reason}`).sort()).toEqual([
      'alice ny-1 base_evicted',
      'alice ny-2 base_evicted',
      'bob ny-1 base_evicted',
      'bob ny-2 base_evicted',
      'carol london-1 base_evicted',
      'carol london-2 no_world',
      'dave london-1 base_evicted',
      'dave london-2 no_world',
    ]);
    // exactly the pairs keyshare recovers when it is on
    const on = (await result).report.keyshare!.recovered.map((r) => `${r.device} ${r.message}`).sort();
    expect(report.messages.needsKeyshare.map((u) => `${u.device} ${u.label}`).sort()).toEqual(on);
  });
});

describe('scenario parsing of keyshare fields', () => {
  const base = {
    name: 'x',
    sites: ['s1'],
    devices: { a: 's1', b: 's1' },
    steps: [
      { do: 'create', by: 'a' },
      { do: 'send', by: 'a', text: 't', id: 'm' },
    ],
  };
  function codeOf(raw: unknown): [string, string] {
    try {
      parseScenario(raw);
    } catch (e) {
      if (e instanceof ScenarioError) return [e.code, e.path];
      throw e;
    }
    return ['ok', ''];
  }

  it('keyshare is off unless asked for; trust and policy alone are refused', () => {
    expect(parseScenario(base).keyshare).toBeUndefined();
    expect(codeOf({ ...base, trust: 'all' })).toEqual(['bad_field', 'trust']);
    expect(codeOf({ ...base, policy: { history: 'past_members' } })).toEqual(['bad_field', 'policy']);
    expect(codeOf({ ...base, steps: [...base.steps, { do: 'ask', by: 'b', message: 'm' }] })).toEqual(['bad_field', 'steps[2]']);
  });

  it('defaults, and each bad field named', () => {
    const on = parseScenario({ ...base, keyshare: true }).keyshare!;
    expect(on).toEqual({
      askAfterMs: 500,
      baseBackoffMs: 1000,
      maxBackoffMs: 8000,
      lifetimeMs: 60000,
      maxRounds: 3,
      reaskAfterMs: 10000,
      trust: 'members',
      policy: { history: 'current_members', disabled: [], perRequester: { capacity: 100, perSecond: 10 }, overall: { capacity: 1000, perSecond: 100 } },
    });
    expect(codeOf({ ...base, keyshare: { askAfterMs: -1 } })).toEqual(['bad_field', 'keyshare.askAfterMs']);
    expect(codeOf({ ...base, keyshare: { retries: 1 } })).toEqual(['bad_field', 'keyshare.retries']);
    expect(codeOf({ ...base, keyshare: true, trust: 'everyone' })).toEqual(['bad_field', 'trust']);
    expect(codeOf({ ...base, keyshare: true, trust: { z: ['a'] } })).toEqual(['unknown_device', 'trust.z']);
    expect(codeOf({ ...base, keyshare: true, trust: { a: ['z'] } })).toEqual(['unknown_device', 'trust.a[0]']);
    expect(codeOf({ ...base, keyshare: true, policy: { history: 'forever' } })).toEqual(['bad_field', 'policy.history']);
    expect(codeOf({ ...base, keyshare: true, policy: { disabled: ['q'] } })).toEqual(['unknown_device', 'policy.disabled[0]']);
    expect(codeOf({ ...base, keyshare: true, steps: [...base.steps, { do: 'ask', by: 'b', message: 'nope' }] })).toEqual(['bad_field', 'steps[2].message']);
    expect(codeOf({ ...base, steps: [...base.steps, { do: 'cut', between: ['s1', 's1'] }] })).toEqual(['bad_field', 'steps[2].between']);
    expect(codeOf({ ...base, steps: [...base.steps, { do: 'cut', between: ['s1', 'zz'] }] })).toEqual(['unknown_site', 'steps[2].between[1]']);
  });
});
