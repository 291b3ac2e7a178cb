// THROWAWAY TEST DOUBLE. A crypto-free model of the device engine, used only to exercise the
// simulator's own machinery (network, sites, sync, reporting, SVG) while @weft/merge is being
// built. It emits real signed DAG events, but bodies are JSON and "readable" means "member of
// the epoch". It is not the engine and must never stand in for it in scenario tests.

import { getCipherSuite } from '@weft/crypto';
import type { CipherSuite } from '@weft/crypto';
import { buildEvent, decodeEvent, parseCid } from '@weft/dag';
import type { CheckedEvent, CID, EventBlock } from '@weft/dag';
import type { DeviceOptions, DeviceRuntime, DeviceView, Effects, MessageView } from '../../src/engine.ts';
import { compareBytes, toHex } from '@weft/codec';
import type { PublicResolution, PublicResolver } from '../../src/resolver.ts';

interface Body {
  creator?: string;
  adds?: { id: string; key: string }[];
  removes?: string[];
  text?: string;
}

interface Epoch {
  cid: string;
  number: number;
  base?: string;
  committer: string;
  leaf: number;
  leaves: (string | null)[];
  lastUpdate: Map<string, number>;
  adds: string[];
  removes: string[];
  resolves: string[];
}

/** Public group state computed from events alone (what a site or the model device derives). */
class ModelGroup {
  readonly events = new Map<string, CheckedEvent>();
  readonly epochs = new Map<string, Epoch>();
  readonly children = new Map<string, string[]>();
  readonly keys = new Map<string, string>(); // author key hex -> identity
  readonly waiting: CheckedEvent[] = [];
  readonly heads = new Set<string>();
  genesis: string | undefined;

  add(c: CheckedEvent): void {
    const k = c.cid.toString();
    if (this.events.has(k)) return;
    this.events.set(k, c);
    for (const p of c.event.parents) this.heads.delete(p.toString());
    this.heads.add(k);
    this.waiting.push(c);
    for (let progress = true; progress; ) {
      progress = false;
      for (let i = 0; i < this.waiting.length; i++) {
        if (this.#apply(this.waiting[i]!)) {
          this.waiting.splice(i, 1);
          progress = true;
          i -= 1;
        }
      }
    }
  }

  #apply(c: CheckedEvent): boolean {
    const e = c.event;
    const body = JSON.parse(new TextDecoder().decode(e.body)) as Body;
    const cid = c.cid.toString();
    if (e.kind === 'genesis') {
      this.genesis = cid;
      const id = body.creator ?? '?';
      this.keys.set(toHex(e.author.key), id);
      this.epochs.set(cid, { cid, number: 0, committer: id, leaf: 0, leaves: [id], lastUpdate: new Map([[id, 0]]), adds: [id], removes: [], resolves: [] });
      return true;
    }
    if (e.kind !== 'commit') return true;
    const base = this.epochs.get(e.base!.toString());
    if (!base) return false;
    const committer = this.keys.get(toHex(e.author.key));
    if (committer === undefined || !base.leaves.includes(committer)) return true; // invalid: ignored
    const leaves = [...base.leaves];
    const lastUpdate = new Map(base.lastUpdate);
    const number = base.number + 1;
    const removes = (body.removes ?? []).filter((r) => leaves.includes(r));
    for (const r of removes) leaves[leaves.indexOf(r)] = null;
    const adds: string[] = [];
    for (const a of body.adds ?? []) {
      this.keys.set(a.key, a.id);
      if (leaves.includes(a.id)) continue;
      const free = leaves.indexOf(null);
      if (free >= 0) leaves[free] = a.id;
      else leaves.push(a.id);
      lastUpdate.set(a.id, number);
      adds.push(a.id);
    }
    lastUpdate.set(committer, number);
    this.epochs.set(cid, { cid, number, base: base.cid, committer, leaf: base.leaves.indexOf(committer), leaves, lastUpdate, adds, removes, resolves: (e.resolves ?? []).map(String) });
    const list = this.children.get(base.cid) ?? [];
    list.push(cid);
    this.children.set(base.cid, list);
    return true;
  }

  key(child: string): [number, number, Uint8Array] {
    const ep = this.epochs.get(child)!;
    const base = this.epochs.get(ep.base!)!;
    return [base.lastUpdate.get(ep.committer) ?? 0, ep.leaf, parseCid(child).bytes];
  }

  winner(base: string): string | undefined {
    const kids = this.children.get(base) ?? [];
    let best: string | undefined;
    for (const k of kids) if (best === undefined || compareKey(this.key(k), this.key(best)) < 0) best = k;
    return best;
  }

  chain(): string[] {
    if (!this.genesis) return [];
    const out = [this.genesis];
    for (let w = this.winner(this.genesis); w; w = this.winner(w)) out.push(w);
    return out;
  }

  members(epoch: string): string[] | undefined {
    const e = this.epochs.get(epoch);
    return e ? (e.leaves.filter((x) => x !== null) as string[]).sort() : undefined;
  }

  /** Losing commits whose intents are not yet resolved by the canonical chain. */
  open(chain: string[]): { losers: string[]; adds: string[]; removes: string[] } {
    const onChain = new Set(chain);
    const head = this.epochs.get(chain[chain.length - 1]!)!;
    const resolved = new Set(chain.flatMap((c) => this.epochs.get(c)!.resolves));
    const removedAnywhere = new Set([...this.epochs.values()].flatMap((e) => e.removes));
    const members = new Set(head.leaves.filter((x) => x !== null));
    const losers: string[] = [];
    const adds = new Set<string>();
    const removes = new Set<string>();
    for (const e of this.epochs.values()) {
      if (onChain.has(e.cid) || e.base === undefined || resolved.has(e.cid)) continue;
      let useful = false;
      for (const r of e.removes) if (members.has(r)) (removes.add(r), (useful = true));
      for (const a of e.adds) if (!members.has(a) && !removedAnywhere.has(a)) (adds.add(a), (useful = true));
      if (useful) losers.push(e.cid);
    }
    return { losers: losers.sort(), adds: [...adds].sort(), removes: [...removes].sort() };
  }
}

function compareKey(a: [number, number, Uint8Array], b: [number, number, Uint8Array]): number {
  return a[0] - b[0] || a[1] - b[1] || compareBytes(a[2], b[2]);
}

/** The model's public resolver (what a site computes). */
export const resolveModel: PublicResolver = (blocks: readonly EventBlock[]): PublicResolution => {
  const g = new ModelGroup();
  for (const b of blocks) g.add(decodeEvent(b.bytes, b.cid));
  const chain = g.chain();
  const forks = [...g.children].filter(([, kids]) => kids.length > 1).map(([base, kids]) => ({
    base,
    children: [...kids].sort().map((cid) => {
      const [lu, leaf] = g.key(cid);
      return { cid, key: `lastUpdate=${lu} leaf=${leaf}` };
    }),
    winner: g.winner(base)!,
  }));
  return { head: chain[chain.length - 1] ?? null, chain, forks, rejected: [], members: (e) => g.members(e), epochNumber: (e) => g.epochs.get(e)?.number };
};

/** Creates a model device (throwaway double of @weft/merge's createDevice). */
export function createModelDevice(options: DeviceOptions): DeviceRuntime {
  const suite: CipherSuite = getCipherSuite(options.suite, 'node', { random: options.random });
  const pair = suite.signatureGenerateKeyPair();
  const signer = { suite, privateKey: pair.privateKey, publicKey: pair.publicKey };
  const g = new ModelGroup();
  const interval = options.rebaseIntervalMs ?? 50;
  let group: CID | undefined;
  let dutyFrom: number | undefined;
  const enc = (b: Body): Uint8Array => new TextEncoder().encode(JSON.stringify(b));
  const head = (): string => {
    const c = g.chain();
    return c[c.length - 1]!;
  };
  const emit = (kind: 'commit' | 'message', body: Body, resolves?: string[]): Uint8Array => {
    const base = head();
    const parents = [...g.heads].sort().slice(0, 19).map(parseCid);
    const ev = buildEvent({ kind, parents: [...parents, parseCid(base)], base: parseCid(base), body: enc(body), ...(resolves && resolves.length ? { resolves: resolves.map(parseCid) } : {}), leaf: g.epochs.get(base)!.leaves.indexOf(options.id) }, signer);
    g.add(ev);
    return ev.bytes;
  };
  const isMember = (): boolean => g.genesis !== undefined && (g.members(head()) ?? []).includes(options.id);
  const rebase = (now: number): Effects => {
    if (!isMember()) return { publish: [] };
    const open = g.open(g.chain());
    if (open.losers.length === 0) {
      dutyFrom = undefined;
      return { publish: [] };
    }
    const order = g.members(head())!;
    const rank = order.indexOf(options.id);
    dutyFrom ??= now;
    const due = dutyFrom + rank * interval;
    if (now < due) return { publish: [], wakeAt: due };
    dutyFrom = undefined;
    const adds = open.adds.map((id) => ({ id, key: [...g.keys].find(([, v]) => v === id)?.[0] ?? '' }));
    return { publish: [emit('commit', { adds, removes: open.removes }, open.losers)] };
  };
  return {
    id: options.id,
    createKeyPackage: () => enc({ adds: [{ id: options.id, key: toHex(pair.publicKey) }] }),
    createGroup() {
      const ev = buildEvent({ kind: 'genesis', suite: options.suite, parents: [], body: enc({ creator: options.id }) }, signer);
      group = ev.cid;
      g.add(ev);
      return { publish: [ev.bytes] };
    },
    add(kps, now) {
      if (!isMember()) throw new Error('not a member');
      const adds = kps.flatMap((kp) => (JSON.parse(new TextDecoder().decode(kp)) as Body).adds ?? []);
      return { publish: [emit('commit', { adds }), ...rebase(now).publish] };
    },
    remove(ids) {
      if (!isMember()) throw new Error('not a member');
      return { publish: [emit('commit', { removes: [...ids] })] };
    },
    update() {
      if (!isMember()) throw new Error('not a member');
      return { publish: [emit('commit', {})] };
    },
    send(text) {
      if (!isMember()) throw new Error('not a member');
      if (g.open(g.chain()).removes.length > 0) throw new Error('a removal is pending');
      return { publish: [emit('message', { text })] };
    },
    ingest(bytes, now) {
      const c = decodeEvent(bytes);
      if (c.event.kind === 'genesis') group = c.cid;
      g.add(c);
      return rebase(now);
    },
    tick: (now) => rebase(now),
    view(): DeviceView {
      const h = isMember() ? head() : null;
      const messages: MessageView[] = [];
      for (const [cid, c] of g.events) {
        if (c.event.kind !== 'message') continue;
        const epoch = c.event.base!.toString();
        const ok = (g.members(epoch) ?? []).includes(options.id);
        const body = JSON.parse(new TextDecoder().decode(c.event.body)) as Body;
        messages.push({ cid, epoch, sender: g.keys.get(toHex(c.event.author.key)) ?? '?', text: ok ? body.text ?? '' : null, ...(ok ? {} : { reason: 'not_member' }) });
      }
      messages.sort((a, b) => (a.cid < b.cid ? -1 : 1));
      return {
        id: options.id,
        group: group?.toString() ?? null,
        head: h,
        epoch: h ? g.epochs.get(h)!.number : null,
        members: h ? g.members(h)! : [],
        treeHash: h ? toHex(suite.hash(new TextEncoder().encode(`${h}|${g.members(h)!.join(',')}`))) : null,
        exporter: h ? toHex(suite.hash(new TextEncoder().encode(`exp|${h}`))) : null,
        messages,
      };
    },
  };
}
