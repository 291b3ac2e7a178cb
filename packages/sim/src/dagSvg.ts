// Draws a run's DAG as a standalone SVG: one column per epoch number, one lane per branch. The
// canonical chain runs along the top lane; a losing branch gets a lane of its own below the epoch
// it forked from (a fork inside a fork opens another lane). Commits are coloured winner (canonical),
// loser or rebase, fork bases are ringed, a rebase commit points (dashed) at the losing commits it
// resolves, and each epoch shows its application messages as small dots, so one can see what was
// said on each branch.

import { decodeEvent } from '@weft/dag';
import type { SimReport } from './report.ts';
import { labelEvents } from './report.ts';
import type { RunResult } from './runner.ts';

interface Node {
  readonly cid: string;
  readonly base: string | null;
  readonly rebase: boolean;
  /** Losing commits this rebase commit resolves. */
  readonly resolves: readonly string[];
  readonly label: string;
  lane: number;
  column: number;
}

const COLOURS = { winner: '#2e7d32', loser: '#c62828', rebase: '#1565c0', genesis: '#555', canonicalMsg: '#333', sideMsg: '#ef6c00' };

/** Returns an SVG document of the run's DAG. */
export function drawDagSvg(run: RunResult, report: SimReport): string {
  const labels = labelEvents(run);
  const resolution = run.sites[0]?.resolution ?? null;
  const chain = new Set(resolution?.chain ?? []);
  const nodes = new Map<string, Node>();
  const children = new Map<string, string[]>();
  const messagesOf = new Map<string, { label: string; canonical: boolean }[]>();
  let genesis: string | null = null;
  for (const b of run.blocks) {
    const { event } = decodeEvent(b.bytes, b.cid);
    const cid = b.cid.toString();
    if (event.kind === 'genesis' || event.kind === 'commit') {
      const base = event.base?.toString() ?? null;
      if (event.kind === 'genesis') genesis = cid;
      nodes.set(cid, { cid, base, rebase: (event.resolves?.length ?? 0) > 0, resolves: (event.resolves ?? []).map(String), label: labels.get(cid) ?? cid.slice(-6), lane: 0, column: 0 });
      if (base) children.set(base, [...(children.get(base) ?? []), cid]);
    } else if (event.kind === 'message' && event.base) {
      const base = event.base.toString();
      messagesOf.set(base, [...(messagesOf.get(base) ?? []), { label: labels.get(cid) ?? 'message', canonical: chain.has(base) }]);
    }
  }
  // Lanes: the canonical (or first) child continues its parent's lane, every other child opens one.
  let lanes = 0;
  const place = (cid: string, lane: number, column: number): void => {
    const n = nodes.get(cid);
    if (!n) return;
    n.lane = lane;
    n.column = column;
    const kids = [...(children.get(cid) ?? [])].sort((a, b) => Number(chain.has(b)) - Number(chain.has(a)) || (a < b ? -1 : 1));
    kids.forEach((k, i) => place(k, i === 0 ? lane : ++lanes, column + 1));
  };
  if (genesis) place(genesis, 0, 0);

  const colW = 150;
  const laneH = 90;
  const left = 30;
  const top = 70;
  const maxColumn = Math.max(0, ...[...nodes.values()].map((n) => n.column));
  const width = left * 2 + (maxColumn + 1) * colW;
  const height = top + (lanes + 1) * laneH + 40;
  const x = (n: Node): number => left + n.column * colW + 40;
  const y = (n: Node): number => top + n.lane * laneH + 20;
  const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`);
  out.push(`<rect width="100%" height="100%" fill="#fff"/>`);
  out.push(`<text x="${left}" y="20" font-size="14" font-weight="bold">${esc(report.scenario)} (seed ${report.seed}): ${report.forks.length} fork(s), ${report.rebaseCommits.length} rebase commit(s), ${report.messages.sent} message(s), ${report.ok ? 'all invariants held' : 'invariant violated'}</text>`);
  const legend: [string, string][] = [
    [COLOURS.winner, 'canonical commit'],
    [COLOURS.loser, 'losing commit'],
    [COLOURS.rebase, 'rebase commit'],
    [COLOURS.canonicalMsg, 'message (canonical)'],
    [COLOURS.sideMsg, 'message (side branch)'],
  ];
  legend.forEach(([c, t], i) => out.push(`<circle cx="${left + 6 + i * 150}" cy="40" r="5" fill="${c}"/><text x="${left + 16 + i * 150}" y="44">${t}</text>`));
  for (const n of nodes.values()) {
    const b = n.base ? nodes.get(n.base) : undefined;
    if (b) out.push(`<line x1="${x(b)}" y1="${y(b)}" x2="${x(n)}" y2="${y(n)}" stroke="${chain.has(n.cid) ? COLOURS.winner : '#999'}" stroke-width="${chain.has(n.cid) ? 2 : 1}"/>`);
  }
  // A rebase commit points (dashed) at the losing commits whose intents it carries.
  for (const n of nodes.values()) {
    for (const r of n.resolves) {
      const t = nodes.get(r);
      if (t) out.push(`<line x1="${x(n)}" y1="${y(n)}" x2="${x(t)}" y2="${y(t)}" stroke="${COLOURS.rebase}" stroke-width="1" stroke-dasharray="4,3" opacity="0.6"/>`);
    }
  }
  const forkBases = new Set(report.forks.map((f) => f.base));
  for (const n of nodes.values()) {
    const colour = n.base === null ? COLOURS.genesis : n.rebase ? COLOURS.rebase : chain.has(n.cid) ? COLOURS.winner : COLOURS.loser;
    const ring = forkBases.has(n.cid) ? ` stroke="#000" stroke-width="2" stroke-dasharray="3,2"` : '';
    out.push(`<g><title>${esc(n.cid)}</title><circle cx="${x(n)}" cy="${y(n)}" r="9" fill="${colour}"${ring}/></g>`);
    out.push(`<text x="${x(n) - 40}" y="${y(n) - 14}">${esc(n.label.length > 24 ? n.label.slice(0, 23) + '…' : n.label)}</text>`);
    const msgs = messagesOf.get(n.cid) ?? [];
    msgs.forEach((m, i) => {
      const mx = x(n) - 30 + (i % 12) * 6;
      const my = y(n) + 18 + Math.floor(i / 12) * 6;
      out.push(`<g><title>${esc(m.label)}</title><circle cx="${mx}" cy="${my}" r="2.5" fill="${m.canonical ? COLOURS.canonicalMsg : COLOURS.sideMsg}"/></g>`);
    });
    if (msgs.length > 0) out.push(`<text x="${x(n) + 45}" y="${y(n) + 22}" fill="#666">${msgs.length} msg</text>`);
  }
  out.push('</svg>');
  return out.join('\n') + '\n';
}
