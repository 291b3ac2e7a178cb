// The report of a run: one JSON-ready object (stable key order, no wall-clock values except
// `timing`, which comes last) and a human-readable rendering of it.

import { checkConvergence, checkNoLostMessages, checkRemoveWins, getCanonical } from './invariants.ts';
import type { UnreadMessage } from './invariants.ts';
import type { RunResult } from './runner.ts';
import { buildKeyshareReport, formatKeyshareReport, listKeyshareFailures, type KeyshareReport } from './keyshareReport.ts';

/** One competing commit of a fork. */
export interface ForkChild {
  readonly cid: string;
  /** Operation label (step id), `rebase:<device>#n`, or the CID when unknown. */
  readonly label: string;
  readonly author: string;
  /** The resolution key, as the resolver prints it. */
  readonly key: string;
}

/** A fork and its resolution. */
export interface ForkReport {
  readonly base: string;
  readonly baseLabel: string;
  readonly epoch: number | null;
  /** True when the base is on the canonical chain (else: a fork inside a losing branch). */
  readonly canonical: boolean;
  readonly children: readonly ForkChild[];
  readonly winner: string;
  readonly winnerLabel: string;
  /** Why the winner won: its key, smallest of all. */
  readonly why: string;
}

/** A rebase commit: a commit whose event lists the losing commits it resolves. */
export interface RebaseReport {
  readonly cid: string;
  readonly label: string;
  readonly author: string;
  readonly base: string | null;
  readonly canonical: boolean;
  readonly resolves: readonly { readonly cid: string; readonly label: string }[];
  /** Every losing commit it settles: those it lists and every commit built on them (labels, sorted). */
  readonly covers: readonly string[];
}

/** One sent message and who can read it. */
export interface MessageReport {
  readonly cid: string;
  readonly label: string;
  readonly sender: string;
  readonly text: string;
  readonly epoch: string;
  /** True when its epoch is on the canonical chain. */
  readonly canonical: boolean;
  readonly readers: readonly string[];
}

/** The report of a run (what `weft sim --json` prints). */
export interface SimReport {
  readonly scenario: string;
  readonly seed: number;
  readonly engine: string;
  readonly converged: boolean;
  readonly ok: boolean;
  readonly quiet: boolean;
  readonly endTimeMs: number;
  readonly group: string | null;
  readonly canonicalHead: string | null;
  readonly epoch: number | null;
  readonly members: readonly string[];
  readonly heads: Readonly<Record<string, string | null>>;
  readonly invariants: { readonly convergence: boolean; readonly noLostMessages: boolean; readonly removeWins: boolean };
  readonly failures: readonly string[];
  /** Observations that are not violations. */
  readonly notes: readonly string[];
  readonly messages: {
    readonly sent: number;
    readonly readable: Readonly<Record<string, number>>;
    readonly lost: number;
    readonly lostDetails: readonly UnreadMessage[];
    readonly needsKeyshare: readonly UnreadMessage[];
    readonly uncheckedDevices: readonly string[];
    readonly list: readonly MessageReport[];
  };
  readonly forks: readonly ForkReport[];
  readonly rebaseCommits: readonly RebaseReport[];
  readonly handshakeBytes: number;
  readonly handshakeEvents: number;
  readonly operations: readonly { readonly label: string; readonly at: number; readonly by: string; readonly kind: string; readonly published: number; readonly refused?: string }[];
  readonly deviceErrors: readonly string[];
  readonly deviceRejections: readonly string[];
  readonly sites: readonly { readonly name: string; readonly events: number; readonly heads: number; readonly head: string | null; readonly rejected: readonly string[] }[];
  readonly network: RunResult['network'] & { readonly schedulerSteps: number };
  /** What keyshare did, when the scenario turns it on (see keyshareReport.ts); its leaks and entitled-but-unreadable messages fail the run. */
  readonly keyshare?: KeyshareReport;
  /** CPU ms per device spent in engine calls (not deterministic; excluded from comparisons). */
  readonly timing: Readonly<Record<string, number>>;
}

/** Labels of events: the operation that made them (extra events get a kind suffix), rebase commits by author, genesis. */
export function labelEvents(run: RunResult): Map<string, string> {
  const labels = new Map<string, string>();
  const counts = new Map<string, number>();
  const next = (key: string): string => {
    const i = (counts.get(key) ?? 0) + 1;
    counts.set(key, i);
    return `${key}#${i}`;
  };
  for (const p of run.published) {
    const kind = p.kind === 'commit' && p.resolves.length > 0 ? 'rebase' : p.kind;
    if (p.op !== undefined) {
      const op = run.operations[p.op]!;
      labels.set(p.cid, op.published[0] === p.cid ? op.label : next(`${op.label}:${kind}`));
    } else {
      labels.set(p.cid, next(`${kind}:${p.author}`));
    }
  }
  return labels;
}

/** Builds the report of a run. */
export function buildReport(run: RunResult): SimReport {
  const labels = labelEvents(run);
  const label = (cid: string): string => labels.get(cid) ?? cid;
  const authorOf = new Map(run.published.map((p) => [p.cid, p.author]));
  const convergence = checkConvergence(run);
  const lostCheck = checkNoLostMessages(run);
  const removeWins = checkRemoveWins(run);
  const canonical = getCanonical(run);
  const resolution = canonical ?? run.sites[0]?.resolution ?? null;
  const chain = new Set(resolution?.chain ?? []);
  const head = canonical?.head ?? null;

  const forks: ForkReport[] = (resolution?.forks ?? []).map((f) => {
    const winner = f.children.find((c) => c.cid === f.winner);
    return {
      base: f.base,
      baseLabel: label(f.base),
      epoch: resolution?.epochNumber(f.base) ?? null,
      canonical: chain.has(f.base),
      children: f.children.map((c) => ({ cid: c.cid, label: label(c.cid), author: authorOf.get(c.cid) ?? '?', key: c.key })),
      winner: f.winner,
      winnerLabel: label(f.winner),
      why: `smallest key (lastUpdate, leaf, cid): ${winner?.key ?? '?'} beats ${f.children
        .filter((c) => c.cid !== f.winner)
        .map((c) => `${label(c.cid)} ${c.key}`)
        .join('; ')}`,
    };
  });
  const rebaseCommits: RebaseReport[] = run.published
    .filter((p) => p.kind === 'commit' && p.resolves.length > 0)
    .map((p) => ({
      cid: p.cid,
      label: label(p.cid),
      author: p.author,
      base: p.base ?? null,
      canonical: chain.has(p.cid),
      resolves: p.resolves.map((r) => ({ cid: r, label: label(r) })),
      covers: coverResolved(run, p.resolves).map(label).sort(),
    }));

  const list: MessageReport[] = run.messages.map((m) => ({
    cid: m.cid,
    label: m.label,
    sender: m.sender,
    text: m.text,
    epoch: m.epoch,
    canonical: chain.has(m.epoch),
    readers: run.devices.filter((d) => d.view.messages.some((x) => x.cid === m.cid && x.text === m.text)).map((d) => d.id),
  }));
  const readable: Record<string, number> = {};
  for (const d of run.devices) readable[d.id] = d.view.messages.filter((x) => x.text !== null && run.messages.some((m) => m.cid === x.cid)).length;
  const heads: Record<string, string | null> = {};
  for (const d of run.devices) heads[d.id] = d.view.head;
  const timing: Record<string, number> = {};
  for (const d of run.devices) timing[d.id] = Math.round(d.cpuMs * 100) / 100;
  const handshakes = run.published.filter((p) => p.kind !== 'message');

  const invariants = { convergence: convergence.held, noLostMessages: lostCheck.held, removeWins: removeWins.held };
  const keyshare = buildKeyshareReport(run, label);
  const keyshareFailures = keyshare ? listKeyshareFailures(keyshare) : [];
  return {
    scenario: run.scenario.name,
    seed: run.seed,
    engine: run.engine,
    converged: convergence.held,
    ok: invariants.convergence && invariants.noLostMessages && invariants.removeWins && keyshareFailures.length === 0,
    quiet: run.quiet,
    endTimeMs: run.endTime,
    group: run.group,
    canonicalHead: head,
    epoch: head ? (canonical?.epochNumber(head) ?? null) : null,
    members: head ? (canonical?.members(head) ?? []) : [],
    heads,
    invariants,
    failures: [...convergence.failures, ...lostCheck.failures, ...removeWins.failures, ...keyshareFailures],
    notes: [...(removeWins.notes ?? [])],
    messages: {
      sent: run.messages.length,
      readable,
      lost: lostCheck.lost.length,
      lostDetails: lostCheck.lost,
      needsKeyshare: lostCheck.needsKeyshare,
      uncheckedDevices: lostCheck.unchecked,
      list,
    },
    forks,
    rebaseCommits,
    handshakeBytes: handshakes.reduce((n, p) => n + p.bytes, 0),
    handshakeEvents: handshakes.length,
    operations: run.operations.map((o) => ({ label: o.label, at: o.at, by: o.by, kind: o.kind, published: o.published.length, ...(o.error !== undefined ? { refused: o.error } : {}) })),
    deviceErrors: run.deviceErrors,
    deviceRejections: run.deviceRejections,
    sites: run.sites.map((s) => ({
      name: s.name,
      events: s.events,
      heads: s.heads.length,
      head: s.resolution?.head ?? null,
      rejected: [...s.rejections.map((r) => `${r.cid ?? '?'} from ${r.from}: ${r.code}`), ...(s.resolution?.rejected ?? [])],
    })),
    network: { ...run.network, schedulerSteps: run.schedulerSteps },
    ...(keyshare ? { keyshare } : {}),
    timing,
  };
}

/** Commits that lie on or below any of `resolved` (by base links), i.e. everything a rebase settles. */
function coverResolved(run: RunResult, resolved: readonly string[]): string[] {
  const roots = new Set(resolved);
  const out: string[] = [];
  for (const cid of run.bases.keys()) {
    for (let e: string | undefined = cid, steps = 0; e !== undefined && steps < 100_000; e = run.bases.get(e), steps++) {
      if (roots.has(e)) {
        out.push(cid);
        break;
      }
    }
  }
  return out;
}

/** The report as JSON without `timing`: byte-identical for the same seed and scenario. */
export function serializeStableReport(report: SimReport): string {
  const { timing: _timing, ...rest } = report;
  return JSON.stringify(rest);
}

/** Renders a report for people. */
export function formatReport(r: SimReport): string {
  const out: string[] = [];
  const short = (cid: string | null): string => (cid ? `${cid.slice(0, 8)}..${cid.slice(-6)}` : '-');
  const mark = (b: boolean): string => (b ? 'held' : 'FAILED');
  out.push(`scenario ${r.scenario} (seed ${r.seed}, engine ${r.engine}): ${r.ok ? 'all invariants held' : 'INVARIANT VIOLATED'}`);
  out.push(`  ran ${r.endTimeMs} simulated ms, ${r.network.schedulerSteps} scheduled actions, ${r.quiet ? 'ended quiet' : 'did NOT go quiet'}`);
  out.push(`  canonical head ${short(r.canonicalHead)} epoch ${r.epoch ?? '-'} members [${r.members.join(', ')}]`);
  out.push('');
  out.push(`forks: ${r.forks.length}`);
  for (const f of r.forks) {
    out.push(`  at ${f.baseLabel} (epoch ${f.epoch ?? '?'}${f.canonical ? '' : ', inside a losing branch'}): ${f.children.map((c) => `${c.label} by ${c.author} [${c.key}]`).join(' vs ')}`);
    out.push(`    winner ${f.winnerLabel}: ${f.why}`);
  }
  out.push(`rebase commits: ${r.rebaseCommits.length}`);
  for (const b of r.rebaseCommits) {
    const below = b.covers.filter((c) => !b.resolves.some((x) => x.label === c));
    out.push(`  ${b.label}${b.canonical ? '' : ' (lost a later fork)'} resolves ${b.resolves.map((x) => x.label).join(', ')}${below.length > 0 ? ` (and below them ${below.join(', ')})` : ''}`);
  }
  out.push(`handshake events: ${r.handshakeEvents}, ${r.handshakeBytes} bytes`);
  out.push('');
  out.push(`messages: ${r.messages.sent} sent, ${r.messages.lost} lost, ${r.messages.needsKeyshare.length} need keyshare`);
  for (const m of r.messages.list) out.push(`  ${m.label} ${m.sender}: "${m.text}" ${m.canonical ? 'canonical' : 'side branch'}; readable by ${m.readers.join(', ') || 'nobody'}`);
  out.push(`  readable per device: ${Object.entries(r.messages.readable).map(([d, n]) => `${d}=${n}`).join(' ')}`);
  if (r.messages.uncheckedDevices.length > 0) out.push(`  offline at the end (not checked): ${r.messages.uncheckedDevices.join(', ')}`);
  const refused = r.operations.filter((o) => o.refused !== undefined);
  if (refused.length > 0) {
    out.push(`refused operations: ${refused.length}`);
    for (const o of refused) out.push(`  ${o.label} at ${o.at}: ${o.refused}`);
  }
  if (r.deviceErrors.length > 0) out.push(`device errors: ${r.deviceErrors.length}`, ...r.deviceErrors.slice(0, 10).map((e) => `  ${e}`));
  if (r.deviceRejections.length > 0) out.push(`events rejected by devices: ${r.deviceRejections.length}`, ...r.deviceRejections.slice(0, 10).map((e) => `  ${e}`));
  for (const s of r.sites) if (s.rejected.length > 0) out.push(`site ${s.name} rejected ${s.rejected.length}: ${s.rejected.slice(0, 3).join('; ')}`);
  out.push('');
  if (r.keyshare) out.push(...formatKeyshareReport(r.keyshare), '');
  out.push(`network: ${r.network.siteMessages} site messages (${r.network.siteBytes} bytes), ${r.network.lost} lost, ${r.network.partitioned} blocked by partitions`);
  out.push(`cpu ms per device: ${Object.entries(r.timing).map(([d, ms]) => `${d}=${ms.toFixed(1)}`).join(' ')}`);
  out.push('');
  out.push('invariants:');
  out.push(`  convergence     ${mark(r.invariants.convergence)}`);
  out.push(`  noLostMessages  ${mark(r.invariants.noLostMessages)}`);
  out.push(`  removeWins      ${mark(r.invariants.removeWins)}`);
  for (const f of r.failures) out.push(`  - ${f}`);
  for (const n of r.notes) out.push(`  note: ${n}`);
  return out.join('\n') + '\n';
}
