// Keyshare costs (node provider), medians: answering one request (verify the request signature
// and binding, run the policy, export the sender ratchet, HPKE-seal to the requester's device key,
// sign) and applying one answer (verify, HPKE-open, decrypt and authenticate the message asked for).
// Usage: pnpm bench keyshare
import type { CID } from '@weft/dag';
import { answerRequest, createMessageRef, receiveReply, requestKeys } from '../packages/keyshare/src/index.ts';
import { answererDeps, buildWorld, cs, freshAnswerer, freshRequester, requesterDeps, type HeldMessage } from '../packages/keyshare/test/fixture.ts';
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
  return rows;
}
