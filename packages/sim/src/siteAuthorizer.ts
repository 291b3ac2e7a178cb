// The DagStore `authorize` hook of a simulated site (DESIGN.md section 3: a replica accepts a
// handshake only if its author was a member of the base epoch). Membership is judged by
// @weft/merge's public ledger, the same public checks every device runs, so a site refuses exactly
// what devices would refuse and never holds a group secret. A handshake whose Update proposals
// have not arrived yet cannot be judged; it is let through (devices wait for them alike).

import type { AuthorizeHook, CID, DagStore } from '@weft/dag';
import { cidKey, EventError } from '@weft/dag';
import { PublicLedger } from '@weft/merge';

/** Codes of ledger rejections that mean "the author may not make this handshake". */
const REFUSED = new Set(['not_member', 'invalid_commit', 'invalid_proposal', 'path_required', 'bogus_resolves', 'wrong_group']);

/** A membership authorizer over one store: `hook` goes into DagStoreOptions, `attach` names the store once open. */
export interface SiteAuthorizer {
  readonly hook: AuthorizeHook;
  attach(store: DagStore): void;
}

/** Creates the authorizer of one site (one public ledger per group it holds). */
export function createSiteAuthorizer(): SiteAuthorizer {
  const ledgers = new Map<string, PublicLedger>();
  let store: DagStore | null = null;

  /** Feeds the ledger every stored ancestor it lacks (parents, base, resolves), so it can judge. */
  const loadAncestors = async (ledger: PublicLedger, refs: readonly CID[]): Promise<void> => {
    const found: Parameters<PublicLedger['addChecked']>[0][] = [];
    const seen = new Set<string>();
    const stack = [...refs];
    while (stack.length > 0) {
      const cid = stack.pop() as CID;
      const k = cidKey(cid);
      if (seen.has(k) || ledger.entries.has(k) || ledger.pending.has(k)) continue;
      seen.add(k);
      const ev = await store?.getEvent(cid);
      if (!ev) continue;
      found.push(ev);
      stack.push(...ev.event.parents, ...(ev.event.base ? [ev.event.base] : []), ...(ev.event.resolves ?? []));
    }
    // Oldest first; the ledger's pending pool covers any order anyway.
    for (const ev of found.reverse()) ledger.addChecked(ev, true);
  };

  const hook: AuthorizeHook = async ({ checked, group }) => {
    const gk = cidKey(group);
    let ledger = ledgers.get(gk);
    if (!ledger) {
      ledger = new PublicLedger(gk, { keepPathInputs: false, pending: { maxCount: 1_000_000, maxBytes: 1 << 30 } });
      ledgers.set(gk, ledger);
    }
    const ev = checked.event;
    await loadAncestors(ledger, [...ev.parents, ...(ev.base ? [ev.base] : []), ...(ev.resolves ?? [])]);
    const report = ledger.addChecked(checked, true);
    const own = report.rejected.find((r) => r.cid === undefined || r.cid === checked.cid.toString());
    if (own && REFUSED.has(own.code)) throw new EventError('unauthorized', `${own.code}: ${own.message}`, checked.cid.toString());
    return true;
  };

  return {
    hook,
    attach(s) {
      store = s;
    },
  };
}
