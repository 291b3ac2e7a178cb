// The real engine: devices from @weft/merge's createDevice, and the public resolver a site runs,
// built on @weft/merge's PublicLedger (no group secret involved).

import { compareResolutionKeys, computeRebaseIntents, createDevice, listIdentities, getResolutionKey, PublicLedger } from '@weft/merge';
import type { PublicEpoch } from '@weft/merge';
import { cidFromKey, cidKey, decodeEvent, parseCid } from '@weft/dag';
import type { EventBlock } from '@weft/dag';
import type { Engine } from './engine.ts';
import { createSiteAuthorizer } from './siteAuthorizer.ts';
import type { ForkDecision, PublicResolution } from './resolver.ts';

/** Public resolution of a group's events with @weft/merge's ledger. */
export function resolveWithLedger(blocks: readonly EventBlock[]): PublicResolution {
  const genesis = blocks.find((b) => decodeEvent(b.bytes, b.cid).event.kind === 'genesis');
  if (!genesis) return { head: null, chain: [], forks: [], rejected: [], members: () => undefined, epochNumber: () => undefined };
  const ledger = new PublicLedger(cidKey(genesis.cid), { pending: { maxCount: blocks.length + 1, maxBytes: 1 << 30 } });
  const rejected: string[] = [];
  for (const b of blocks) for (const r of ledger.add(b.bytes).rejected) rejected.push(`${r.cid ?? b.cid.toString()}: ${r.code}: ${r.message}`);
  const str = (key: string): string => cidFromKey(key).toString();
  const epochOf = (cid: string): PublicEpoch | undefined => {
    try {
      return ledger.getEpoch(cidKey(parseCid(cid)));
    } catch {
      return undefined;
    }
  };
  const forks: ForkDecision[] = [];
  for (const [baseKey, kids] of ledger.childrenByBase) {
    if (kids.length < 2) continue;
    const base = ledger.getEpoch(baseKey)!;
    const epochs = kids.map((k) => ledger.getEpoch(k)!);
    const winner = ledger.getWinner(baseKey)!;
    forks.push({
      base: str(baseKey),
      children: epochs
        .map((e) => {
          const k = getResolutionKey(base, e, ledger.isRejected(e.key));
          return { cid: str(e.key), key: `${k.rejected ? 'rejected ' : ''}lastUpdate=${k.lastUpdate} leaf=${k.leaf}`, order: k };
        })
        .sort((a, b) => compareResolutionKeys(a.order, b.order))
        .map(({ cid, key }) => ({ cid, key })),
      winner: str(winner.key),
    });
  }
  forks.sort((a, b) => (epochOf(a.base)?.height ?? 0) - (epochOf(b.base)?.height ?? 0) || (a.base < b.base ? -1 : 1));
  const chain = ledger.chain.map(str);
  return {
    head: chain[chain.length - 1] ?? null,
    chain,
    closed: computeRebaseIntents(ledger)?.closed ?? false,
    forks,
    rejected,
    members: (epoch) => {
      const e = epochOf(epoch);
      return e ? [...listIdentities(e)].sort() : undefined;
    },
    epochNumber: (epoch) => {
      const e = epochOf(epoch);
      return e ? Number(e.epoch) : undefined;
    },
  };
}

/** The engine under test: @weft/merge devices and its public ledger. */
export const mergeEngine: Engine = { name: '@weft/merge', createDevice, resolve: resolveWithLedger, createSiteAuthorizer };
