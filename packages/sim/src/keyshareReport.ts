// The `keyshare` section of a report, judged by the simulator from public data, not from what the
// keyshare layer believes:
// - a **leak** is an answer (key material) handed to a device that was not a member of the answer's
//   epoch as the sites' public resolver computes it from the DAG;
// - a device is **entitled** to a message when it is online at the end, was a member of the
//   message's epoch (public resolver), is a member of the canonical head unless the history policy
//   is `past_members`, and at least one other member of that epoch has keyshare enabled and trusts
//   it under the scenario's `trust`. An entitled device that cannot read the message at the end is
//   counted in `unreadableEntitled` (DESIGN.md invariant 2 under the group's policy);
// - `timeToReadMs`: for each message read through keyshare, from when the device first held it
//   unreadable to when an answer made it readable.

import { getCanonical } from './invariants.ts';
import { isTrustedBy } from './keyshareScenario.ts';
import type { RunResult } from './runner.ts';

/** A (device, message) pair that stays unreadable, with why. */
export interface KeyshareUnreadable {
  readonly device: string;
  readonly message: string;
  /** Why no world of the device reads it (merge reason). */
  readonly reason: string;
  /** What keyshare did about it (`awaiting_answer`, `withheld:<why>`, `expired`, ...), or null when nothing was asked. */
  readonly keyshare: string | null;
  readonly waitedMs: number;
}

/** The `keyshare` section of a report. */
export interface KeyshareReport {
  /** Request attempts sent (each retry counts). */
  readonly requests: number;
  /** Answers sent. */
  readonly answered: number;
  /** Withheld replies sent, by reason. */
  readonly withheld: Readonly<Record<string, number>>;
  readonly cancels: number;
  readonly leaks: number;
  readonly leakDetails: readonly string[];
  readonly unreadableEntitled: number;
  readonly unreadableEntitledDetails: readonly KeyshareUnreadable[];
  /** Members of a message's epoch that the policy does not entitle and that cannot read it. */
  readonly notEntitled: readonly (KeyshareUnreadable & { readonly why: string })[];
  readonly timeToReadMs: { readonly median: number | null; readonly max: number | null };
  /** Messages read through keyshare: device, message, answering device, when. */
  readonly recovered: readonly { readonly device: string; readonly message: string; readonly from: string; readonly atMs: number; readonly waitedMs: number }[];
  /** Keyshare input devices refused, by code (late answers to withdrawn requests are `unsolicited`). */
  readonly refused: Readonly<Record<string, number>>;
  /** Every device message in order: `t from->to type epoch[ reason][ attempt]`. */
  readonly exchanges: readonly string[];
  readonly relayed: { readonly forwarded: number; readonly delivered: number; readonly unroutable: number };
}

/** Builds the keyshare section (null when keyshare was off). `label` names messages and epochs. */
export function buildKeyshareReport(run: RunResult, label: (cid: string) => string): KeyshareReport | null {
  const data = run.keyshare;
  if (!data) return null;
  const canonical = getCanonical(run) ?? run.sites[0]?.resolution ?? null;
  const membersOf = (epoch: string): readonly string[] => canonical?.members(epoch) ?? [];
  const head = canonical?.head ?? null;
  const headMembers = head ? membersOf(head) : [];
  const spec = data.spec;

  const withheld: Record<string, number> = {};
  let requests = 0;
  let answered = 0;
  let cancels = 0;
  const leakDetails: string[] = [];
  const exchanges: string[] = [];
  for (const w of data.wire) {
    if (w.type === 'request') requests++;
    else if (w.type === 'answer') answered++;
    else if (w.type === 'cancel') cancels++;
    else if (w.reason) withheld[w.reason] = (withheld[w.reason] ?? 0) + 1;
    const asked = w.cids.length > 0 ? ` [${w.cids.map(label).join(', ')}]` : '';
    exchanges.push(`${w.at} ${w.from}->${w.to} ${w.type} ${label(w.epoch)}${w.reason ? ` ${w.reason}` : ''}${w.attempt !== null ? ` #${w.attempt}` : ''}${asked}${w.deliveredAt === null ? ' (not delivered)' : ''}`);
    if (w.type === 'answer' && w.deliveredAt !== null && !membersOf(w.epoch).includes(w.to)) {
      leakDetails.push(`${w.from} gave ${w.to} keys of ${label(w.epoch)} at ${w.deliveredAt} ms; its members were [${membersOf(w.epoch).join(', ')}]`);
    }
  }

  const entitledWhy = (device: string, epoch: string): string | null => {
    const online = run.devices.find((d) => d.id === device)?.online ?? false;
    if (!online) return 'offline at the end';
    const members = membersOf(epoch);
    if (!members.includes(device)) return 'not a member of the epoch';
    if (spec.policy.history === 'current_members' && !headMembers.includes(device)) return 'not a member of the canonical head (history policy: current members)';
    const answerer = members.some((a) => {
      if (a === device || spec.policy.disabled.includes(a)) return false;
      const t = isTrustedBy(spec.trust, a, device);
      return t === true || t === 'members';
    });
    return answerer ? null : 'no other member of the epoch answers it (disabled or untrusted)';
  };

  const unreadableEntitledDetails: KeyshareUnreadable[] = [];
  const notEntitled: (KeyshareUnreadable & { why: string })[] = [];
  for (const m of run.messages) {
    for (const id of membersOf(m.epoch)) {
      const d = run.devices.find((x) => x.id === id);
      if (!d) continue;
      const seen = d.view.messages.find((x) => x.cid === m.cid);
      if (seen && seen.text === m.text) continue;
      const entry: KeyshareUnreadable = {
        device: id,
        message: m.label,
        reason: seen ? (seen.text === null ? (seen.reason ?? 'unreadable') : 'wrong plaintext') : 'never received',
        keyshare: seen?.keyshare ?? null,
        waitedMs: seen?.waitedMs ?? 0,
      };
      const why = entitledWhy(id, m.epoch);
      if (why === null) unreadableEntitledDetails.push(entry);
      else notEntitled.push({ ...entry, why });
    }
  }

  const recovered: KeyshareReport['recovered'][number][] = [];
  const messageLabel = new Map(run.messages.map((m) => [m.cid, m.label]));
  for (const d of data.devices) {
    for (const r of d.recovered) recovered.push({ device: d.id, message: messageLabel.get(r.cid) ?? label(r.cid), from: r.answererId, atMs: r.at, waitedMs: r.at - r.since });
  }
  recovered.sort((a, b) => a.atMs - b.atMs || (a.device < b.device ? -1 : a.device > b.device ? 1 : 0) || (a.message < b.message ? -1 : 1));
  const waits = recovered.map((r) => r.waitedMs).sort((a, b) => a - b);
  const refused: Record<string, number> = {};
  for (const d of data.devices) for (const l of d.log) if (l.kind === 'refused' && l.reason) refused[l.reason] = (refused[l.reason] ?? 0) + 1;
  const relayed = { forwarded: 0, delivered: 0, unroutable: 0 };
  for (const r of data.relays) {
    relayed.forwarded += r.forwarded;
    relayed.delivered += r.delivered;
    relayed.unroutable += r.unroutable;
  }
  return {
    requests,
    answered,
    withheld: sortKeys(withheld),
    cancels,
    leaks: leakDetails.length,
    leakDetails,
    unreadableEntitled: unreadableEntitledDetails.length,
    unreadableEntitledDetails,
    notEntitled,
    timeToReadMs: { median: waits.length > 0 ? (waits[(waits.length - 1) >> 1] as number) : null, max: waits.length > 0 ? (waits[waits.length - 1] as number) : null },
    recovered,
    refused: sortKeys(refused),
    exchanges,
    relayed,
  };
}

function sortKeys(o: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** Sentences for the report's failures when keyshare broke its promises (leaks, entitled devices left unable to read). */
export function listKeyshareFailures(k: KeyshareReport): string[] {
  return [
    ...k.leakDetails.map((l) => `keyshare leak: ${l}`),
    ...k.unreadableEntitledDetails.map((u) => `${u.device} is entitled to ${u.message} but cannot read it: ${u.reason}${u.keyshare ? `, keyshare ${u.keyshare}` : ''} (waited ${u.waitedMs} ms)`),
  ];
}

/** Text lines of the keyshare section. */
export function formatKeyshareReport(k: KeyshareReport): string[] {
  const out = [
    `keyshare: ${k.requests} requests, ${k.answered} answered, withheld ${Object.entries(k.withheld).map(([r, n]) => `${r}=${n}`).join(' ') || 'none'}, ${k.cancels} cancels`,
    `  leaks ${k.leaks}, entitled but unreadable ${k.unreadableEntitled}, time to read median ${k.timeToReadMs.median ?? '-'} ms max ${k.timeToReadMs.max ?? '-'} ms`,
  ];
  for (const r of k.recovered) out.push(`  ${r.device} read ${r.message} with a key from ${r.from} at ${r.atMs} ms (waited ${r.waitedMs} ms)`);
  for (const n of k.notEntitled) out.push(`  ${n.device} does not read ${n.message}: ${n.why}${n.keyshare ? ` (keyshare ${n.keyshare})` : ''}`);
  return out;
}
