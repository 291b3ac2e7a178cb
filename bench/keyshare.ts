// Keyshare costs (node provider), medians: answering one request (verify the request signature
// and binding, run the policy, export the sender ratchet, HPKE-seal to the requester's device key,
// sign) and applying one answer (verify, HPKE-open, decrypt and authenticate the message asked for).
// Then the recovery after a heal in the netsplit scenario (simulator, keyshare on): simulated ms
// from the heal until every member of each message's epoch that will read a message sent before
// the heal reads it, and the
// requests and answers it took, with the scenario's retention and with a fork horizon of 1 (where
// neither side can process the other side's commits, so keyshare carries the history).
// Last, one call (tick) on a keyshare device holding N readable messages, against the merge
// device's own tick: the keyshare layer follows the merge device's change cursor, so its share
// should not grow with N.
// Usage: pnpm bench keyshare
import { readFileSync } from 'node:fs';
import type { CID } from '@weft/dag';
import { buildReport, mergeEngine, parseScenario, runScenario } from '../packages/sim/src/index.ts';
import { answerRequest, createKeyshareDevice, createMessageRef, receiveReply, requestKeys } from '../packages/keyshare/src/index.ts';
import { answererDeps, buildWorld, cs, freshAnswerer, freshRequester, requesterDeps, seededRandom, type HeldMessage } from '../packages/keyshare/test/fixture.ts';
import { formatUs, measure, printTable } from './harness.ts';
import type { BenchRow } from './harness.ts';

/** Runs the keyshare section. */
export async function run(): Promise<BenchRow[]> {
  const w = buildWorld();
  const T0 = 1_000_000;
  const messageOf = (cid: CID): Uint8Array | null => w.messages.get(cid.toString()) ?? null;
  const rDeps = requesterDeps(w, w.d);
  const aDeps = answererDeps(w, w.c);
  const rows: BenchRow[] = [];
  const cases: { name: string; msgs: readonly HeldMessage[] }[] = [
    { name: '1 message', msgs: w.fromA.slice(0, 1) },
    { name: '4 messages', msgs: w.fromA },
  ];
  for (const c of cases) {
    const params = {
      group: w.group,
      epoch: w.epoch1,
      sender: 0,
      wanted: { kind: 'messages' as const, messages: c.msgs.map((m) => createMessageRef(cs, m.cid, m.bytes)) },
      candidates: [w.c.key],
    };
    const opened = requestKeys(rDeps, freshRequester(), params, T0);
    const request = opened.effects[0]?.bytes;
    if (!request) throw new Error('no request');
    const answered = answerRequest(aDeps, freshAnswerer(), request, T0);
    if (answered.kind !== 'answered') throw new Error('withheld');
    const ops: [string, () => unknown][] = [
      ['open a request', () => requestKeys(rDeps, freshRequester(), params, T0)],
      ['answer one request', () => answerRequest(aDeps, freshAnswerer(), request, T0)],
      ['apply one answer', () => receiveReply(rDeps, opened.state, answered.reply, T0 + 1, messageOf)],
    ];
    for (const [name, fn] of ops) {
      rows.push({ section: 'keyshare', name, params: { provider: 'node', asked: c.name, requestBytes: request.length, answerBytes: answered.reply.length }, ...measure(fn, { minSamples: 50, minTimeMs: 400 }) });
    }
  }
  printTable(
    'keyshare (node provider)',
    ['operation', 'asked', 'median', 'p10', 'p90', 'request B', 'answer B'],
    rows.map((r) => [r.name, String(r.params['asked']), formatUs(r.medianUs), formatUs(r.p10Us), formatUs(r.p90Us), String(r.params['requestBytes']), String(r.params['answerBytes'])]),
  );
  const recovery = [await measureRecovery('scenario retention', undefined), await measureRecovery('fork horizon 1', { forkHorizon: 1, messageHorizon: 4096 })];
  printTable(
    'recovery after the heal, netsplit (simulated ms; keyshare on)',
    ['retention', 'heal at', 'all read at', 'recovery', 'requests', 'answered', 'withheld', 'read via keyshare', 'time to read (median/max)', 'ok'],
    recovery.map((r) => [
      String(r.params['retention']),
      String(r.extra?.['healAtMs']),
      String(r.extra?.['allReadAtMs']),
      `${r.extra?.['recoveryMs']} ms`,
      String(r.extra?.['requests']),
      String(r.extra?.['answered']),
      String(r.extra?.['withheld']),
      String(r.extra?.['recovered']),
      String(r.extra?.['timeToRead']),
      String(r.extra?.['ok']),
    ]),
  );
  const calls: BenchRow[] = [];
  for (const n of [100, 500]) calls.push(...measureCallCost(n));
  printTable(
    'one call on a device holding N readable messages (tick; node provider)',
    ['device', 'N', 'median', 'p10', 'p90'],
    calls.map((r) => [r.name, String(r.params['messages']), formatUs(r.medianUs), formatUs(r.p10Us), formatUs(r.p90Us)]),
  );
  return [...rows, ...recovery, ...calls];
}

/** Median cost of tick on a keyshare device b holding `n` messages from a, and of its merge device's tick alone. */
function measureCallCost(n: number): BenchRow[] {
  const trust = { isTrusted: () => true };
  const a = createKeyshareDevice({ device: { id: 'a', suite: 1, random: seededRandom(1) }, trust });
  const b = createKeyshareDevice({ device: { id: 'b', suite: 1, random: seededRandom(2) }, trust });
  for (const e of [...a.createGroup(0).publish, ...a.add([b.createKeyPackage()], 1).publish]) b.ingest(e, 2);
  for (let i = 0; i < n; i++) for (const e of a.send(`m${i}`, 10 + i).publish) b.ingest(e, 10 + i);
  if (b.view().messages.filter((m) => m.text !== null).length !== n) throw new Error('b does not read every message');
  let now = 1_000_000;
  const opts = { minSamples: 200, minTimeMs: 300 };
  return [
    { section: 'keyshare', name: 'keyshare device tick', params: { messages: n }, ...measure(() => b.tick(now++), opts) },
    { section: 'keyshare', name: 'merge device tick alone', params: { messages: n }, ...measure(() => b.merge.tick(now++), opts) },
  ];
}

/**
 * Runs examples/scenarios/netsplit.json with keyshare on and returns the simulated time from the
 * (last) heal until the last (device, message) pair that ends readable became readable, over
 * members of the message's epoch (public resolver).
 */
async function measureRecovery(label: string, retention: { forkHorizon: number; messageHorizon: number } | undefined): Promise<BenchRow> {
  const raw = JSON.parse(readFileSync(new URL('../examples/scenarios/netsplit.json', import.meta.url), 'utf8')) as Record<string, unknown>;
  const scenario = parseScenario({ ...raw, keyshare: true, ...(retention ? { retention } : {}) });
  const run = await runScenario(scenario, { engine: mergeEngine });
  const report = buildReport(run);
  const healAt = run.heals[run.heals.length - 1] ?? 0;
  const resolution = run.sites[0]?.resolution;
  let allReadAt = healAt;
  for (const m of run.messages) {
    if (m.at >= healAt) continue; // sent after the heal: not history to recover
    for (const id of resolution?.members(m.epoch) ?? []) {
      const at = run.keyshare?.runtimes.get(id)?.getReadAt(m.cid) ?? null;
      if (at !== null) allReadAt = Math.max(allReadAt, at);
    }
  }
  const ks = report.keyshare;
  const recoveryMs = allReadAt - healAt;
  return {
    section: 'keyshare',
    name: 'recovery after heal (netsplit)',
    params: { provider: 'node', retention: label, unit: 'simulated ms' },
    medianUs: recoveryMs * 1000,
    p10Us: recoveryMs * 1000,
    p90Us: recoveryMs * 1000,
    samples: 1,
    extra: {
      healAtMs: healAt,
      allReadAtMs: allReadAt,
      recoveryMs,
      requests: ks?.requests ?? 0,
      answered: ks?.answered ?? 0,
      withheld: Object.values(ks?.withheld ?? {}).reduce((a, b) => a + b, 0),
      recovered: ks?.recovered.length ?? 0,
      timeToRead: `${ks?.timeToReadMs.median ?? '-'}/${ks?.timeToReadMs.max ?? '-'}`,
      unreadableEntitled: ks?.unreadableEntitled ?? -1,
      leaks: ks?.leaks ?? -1,
      ok: report.ok ? 'yes' : `no: ${report.failures.slice(0, 2).join('; ')}`,
    },
  };
}
