// The invariants of DESIGN.md section 9 that a simulation run can check (1, 2 and 3; 6 is checked
// by running twice). Each check returns whether it held and, when not, sentences saying why.
//
// Definitions used (documented in the package README):
// - Canonical head: the head every site's public resolver computes from its replica. Sites that
//   disagree, or a run that never went quiet, fail convergence.
// - Member of an epoch: the device's identity is in that epoch's membership as the public resolver
//   computes it from the DAG (any branch). A device offline at the end is not checked (it has not
//   had the chance to receive anything); it is listed instead.
// - Needs keyshare: a member that cannot read a message because its world for that epoch is out of
//   reach through retention (DESIGN.md section 6): the engine reports the epoch, or the nearest
//   ancestor epoch on the message's branch for which it has a status, as evicted / base_evicted /
//   stranded. Only keyshare (a later issue) can recover those; they are counted separately and do
//   not count as lost. Everything else a member cannot read is lost.
// - Removed member: a device named by a remove operation whose commit was published and that was
//   not added again by a later (successful) add operation. It must not be a member of the canonical
//   head (unless the branches together remove every member of the head: an MLS group cannot be
//   empty, so that is a note, not a violation), and must not read any message whose sender had
//   already seen the removing commit when it sent it.

import type { DeviceOutcome, RunResult, SentMessage } from './runner.ts';
import type { PublicResolution } from './resolver.ts';

/** Result of one invariant. */
export interface InvariantResult {
  readonly held: boolean;
  readonly failures: readonly string[];
  /** Observations that are not violations (e.g. a removal no commit can carry out). */
  readonly notes?: readonly string[];
}

/** A message some member cannot read. */
export interface UnreadMessage {
  readonly cid: string;
  readonly label: string;
  readonly device: string;
  readonly reason: string;
}

/** Reasons that mean "past the retention horizon": recovered by keyshare, not lost. */
export const KEYSHARE_REASONS: ReadonlySet<string> = new Set(['evicted', 'base_evicted', 'stranded']);

/** The canonical resolution, if every site computed the same head. */
export function getCanonical(run: RunResult): PublicResolution | null {
  const first = run.sites[0]?.resolution ?? null;
  if (!first || first.head === null) return null;
  return run.sites.every((s) => s.resolution?.head === first.head) ? first : null;
}

/** Invariant 1: replicas and online members of the canonical head agree on everything. */
export function checkConvergence(run: RunResult): InvariantResult {
  const failures: string[] = [];
  if (!run.quiet) failures.push(`the network never went quiet (stopped by ${run.stopReason} at ${run.endTime} ms)`);
  if (run.group === null) failures.push('no group was created');
  const heads = run.sites.map((s) => `${s.name}=${s.resolution?.head ?? 'none'}`);
  const canonical = getCanonical(run);
  if (!canonical) {
    failures.push(`sites disagree on the canonical head: ${heads.join(', ')}`);
    return { held: false, failures };
  }
  const dagHeads = new Set(run.sites.map((s) => s.heads.join(',')));
  if (dagHeads.size > 1) failures.push(`sites hold different DAGs (heads differ: ${run.sites.map((s) => `${s.name}:${s.heads.length} heads/${s.events} events`).join(', ')})`);
  const head = canonical.head!;
  const members = canonical.members(head) ?? [];
  const epoch = canonical.epochNumber(head);
  let reference: DeviceOutcome | undefined;
  for (const id of members) {
    const d = run.devices.find((x) => x.id === id);
    if (!d) {
      failures.push(`canonical head names unknown member ${id}`);
      continue;
    }
    if (!d.online) continue;
    const v = d.view;
    if (v.head !== head) {
      failures.push(`${id} is at ${v.head ?? 'no head'} (epoch ${v.epoch ?? '-'}), not the canonical head ${head} (epoch ${epoch ?? '?'})`);
      continue;
    }
    if (v.epoch !== epoch) failures.push(`${id} reports epoch ${v.epoch}, the canonical head is epoch ${epoch}`);
    if (v.members.join(',') !== members.join(',')) failures.push(`${id} sees members [${v.members.join(', ')}], the canonical head has [${members.join(', ')}]`);
    if (v.treeHash === null || v.exporter === null) failures.push(`${id} has no tree hash or exporter at the head`);
    if (!reference) {
      reference = d;
      continue;
    }
    if (v.treeHash !== reference.view.treeHash) failures.push(`${id} and ${reference.id} disagree on the tree hash`);
    if (v.exporter !== reference.view.exporter) failures.push(`${id} and ${reference.id} disagree on the exporter secret`);
  }
  return { held: failures.length === 0, failures };
}

/** Invariant 2 with the definitions above: returns lost and needs-keyshare lists too. */
export function checkNoLostMessages(run: RunResult): InvariantResult & { lost: UnreadMessage[]; needsKeyshare: UnreadMessage[]; unchecked: string[] } {
  const failures: string[] = [];
  const lost: UnreadMessage[] = [];
  const needsKeyshare: UnreadMessage[] = [];
  const canonical = run.sites[0]?.resolution ?? null;
  const unchecked = run.devices.filter((d) => !d.online).map((d) => d.id);
  if (!canonical) {
    if (run.messages.length > 0) failures.push('no public resolution to know who was a member of each epoch');
    return { held: failures.length === 0, failures, lost, needsKeyshare, unchecked };
  }
  for (const m of run.messages) {
    const members = canonical.members(m.epoch);
    if (!members) {
      failures.push(`message ${m.label} names epoch ${m.epoch}, which the resolver does not know`);
      continue;
    }
    for (const id of members) {
      const d = run.devices.find((x) => x.id === id);
      if (!d || !d.online) continue;
      const seen = d.view.messages.find((x) => x.cid === m.cid);
      if (seen && seen.text === m.text) continue;
      const reason = !seen ? 'never received' : seen.text === null ? (seen.reason ?? 'unreadable') : 'wrong plaintext';
      const entry = { cid: m.cid, label: m.label, device: id, reason };
      if (seen && seen.text === null && (KEYSHARE_REASONS.has(reason) || isEvictedBranch(run, d, m.epoch))) needsKeyshare.push(entry);
      else {
        lost.push(entry);
        failures.push(`${id} cannot read ${m.label} (${m.sender}: "${m.text}") in an epoch it was a member of: ${reason}`);
      }
    }
  }
  return { held: failures.length === 0, failures, lost, needsKeyshare, unchecked };
}

/** A removal the scenario made: who, by which commit, when. */
export interface Removal {
  readonly removed: string;
  readonly commit: string;
  readonly label: string;
  readonly at: number;
}

/** Removals made by successful remove operations and not undone by a later add of the same device. */
export function listRemovals(run: RunResult): Removal[] {
  const out: Removal[] = [];
  for (const op of run.operations) {
    if (op.kind !== 'remove' || op.error !== undefined) continue;
    const commit = op.published.find((cid) => run.published.some((p) => p.cid === cid && p.kind === 'commit'));
    if (!commit) continue;
    for (const r of op.members ?? []) {
      // A later successful add of the same device (later step, possibly the same millisecond) re-adds it.
      const readded = run.operations.some((o) => o.kind === 'add' && o.error === undefined && o.step > op.step && (o.members ?? []).includes(r));
      if (!readded) out.push({ removed: r, commit, label: op.label, at: op.at });
    }
  }
  return out;
}

/** Invariant 3: no removed member is in the canonical head or reads a message sent with knowledge of its removal. */
export function checkRemoveWins(run: RunResult): InvariantResult {
  const failures: string[] = [];
  const canonical = getCanonical(run);
  const headMembers = canonical?.head ? (canonical.members(canonical.head) ?? []) : [];
  const removals = listRemovals(run);
  // When the branches together remove every member of the head (say two members removing each
  // other at once), no member is left to commit the last removal: an MLS group cannot be empty.
  // The engine then closes the group (nobody may send or commit on it, which the message checks
  // below hold it to); that is a note, not a violation, only if the resolver says it is closed.
  const removedIds = new Set(removals.map((r) => r.removed));
  const emptied = canonical?.closed === true && headMembers.length > 0 && headMembers.every((m) => removedIds.has(m));
  const notes: string[] = [];
  for (const r of removals) {
    if (headMembers.includes(r.removed)) {
      const sentence = `${r.removed}, removed by ${r.label}, is still a member of the canonical head`;
      if (emptied) notes.push(`${sentence}: the branches together remove every member (${headMembers.join(', ')}), so the group is closed`);
      else failures.push(sentence);
    }
    const device = run.devices.find((d) => d.id === r.removed);
    if (!device) continue;
    for (const m of run.messages) {
      if (!senderKnew(run, m, r.commit)) continue;
      const seen = device.view.messages.find((x) => x.cid === m.cid);
      if (seen?.text !== null && seen?.text !== undefined) {
        failures.push(`${r.removed} (removed by ${r.label}) can read ${m.label}, which ${m.sender} sent after it knew of the removal`);
      }
      const members = canonical?.members(m.epoch);
      if (members?.includes(r.removed)) failures.push(`${m.sender} encrypted ${m.label} in an epoch that still has ${r.removed}, after it knew of ${r.label}`);
    }
  }
  return { held: failures.length === 0, failures, notes };
}

/** True when the first epoch on the way up from `epoch` (via bases) with a status says evicted. */
function isEvictedBranch(run: RunResult, d: DeviceOutcome, epoch: string): boolean {
  if (!d.worldStatus) return false;
  for (let e: string | undefined = epoch, steps = 0; e !== undefined && steps < 100_000; e = run.bases.get(e), steps++) {
    const s = d.worldStatus(e);
    if (s === 'held') return false;
    if (s !== null && KEYSHARE_REASONS.has(s)) return true;
    if (s !== null && s !== 'no_world') return false;
  }
  return false;
}

function senderKnew(run: RunResult, m: SentMessage, commit: string): boolean {
  const at = run.devices.find((d) => d.id === m.sender)?.seenAt.get(commit);
  return at !== undefined && at < m.seq;
}
