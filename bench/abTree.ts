// Interleaved A/B of two versions of the MLS core in one process: the tree and crypto packages of
// another checkout (OLD_ROOT) against this one, each on its own full-tree group, alternating rounds
// so that load from other processes hits both alike. Figures are CPU time per call (this process,
// all threads). Usage:
//   git archive <commit> | tar -x -C /tmp/old   then give /tmp/old a node_modules tree whose @weft
//   links point into /tmp/old (other packages may link to this checkout's), and run
//   OLD_ROOT=/tmp/old AB_N=2048 AB_ROUNDS=12 AB_K=60 AB_COMMITS=6 nice -n 10 npx tsx bench/abTree.ts
//   AB_N group size (power of two), AB_K messages and AB_COMMITS chained commits per round and side.
// As in bench/mls.ts, the key caches are flushed before a receiver processes commits (its first one
// is not counted), so it does not find the committer's path keys already imported.
type Tree = typeof import('@weft/tree');
type Crypto = typeof import('@weft/crypto');
const oldRoot = process.env['OLD_ROOT'];
if (oldRoot === undefined) throw new Error('set OLD_ROOT to the checkout to compare against (see the header)');
const oldTree = (await import(`${oldRoot}/packages/tree/src/index.ts`)) as Tree;
const newTree = (await import('../packages/tree/src/index.ts')) as Tree;
const oldCrypto = (await import(`${oldRoot}/packages/crypto/src/index.ts`)) as Crypto;
const newCrypto = (await import('@weft/crypto')) as Crypto;
const PAYLOAD = new Uint8Array(100).fill(0x61);
const N = Number(process.env['AB_N'] ?? 32);
const ROUNDS = Number(process.env['AB_ROUNDS'] ?? 30);
const K = Number(process.env['AB_K'] ?? 100);
const COMMITS = Number(process.env['AB_COMMITS'] ?? 0);
const cpu = (): number => { const u = process.cpuUsage(); return u.user + u.system; };
const wallUs = (): number => performance.now() * 1000;
const wall: Record<string, Record<string, number[]>> = { old: { enc: [], dec: [], create: [], process: [] }, new: { enc: [], dec: [], create: [], process: [] } };
function setup(t: Tree, c: Crypto) {
  const t0 = performance.now();
  const built = t.buildFullTreeGroup(c.getCipherSuite(1, 'node'), N, [1, 0]);
  console.log(`built N=${N} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return { t, c, committer: built.states[1]!, receiver: built.states[0]! };
}
const variants = { old: setup(oldTree, oldCrypto), new: setup(newTree, newCrypto) };
// As bench/mls.ts: a receiver does not find the committer's path keys in a shared cache.
const flush = (c: Crypto): void => {
  c.setKeyCacheCapacity(1);
  c.setKeyCacheCapacity(1024);
};
const res: Record<string, Record<string, number[]>> = { old: { enc: [], dec: [], create: [], process: [] }, new: { enc: [], dec: [], create: [], process: [] } };
for (let r = 0; r < ROUNDS; r++) {
  for (const name of (r % 2 === 0 ? ['old', 'new'] : ['new', 'old']) as ('old' | 'new')[]) {
    const v = variants[name];
    const msgs: Uint8Array[] = [];
    for (let i = 0; i <= K; i++) {
      const c0 = cpu();
      const w0 = wallUs();
      const e = v.t.encryptApplicationMessage(v.committer, PAYLOAD);
      if (i > 0) wall[name]!['enc']!.push(wallUs() - w0);
      if (i > 0) res[name]!['enc']!.push(cpu() - c0);
      v.committer = e.state;
      msgs.push(e.message);
    }
    for (let i = 0; i < msgs.length; i++) {
      const c0 = cpu();
      const w0 = wallUs();
      const d = v.t.decryptApplicationMessage(v.receiver, msgs[i]!);
      if (i > 0) wall[name]!['dec']!.push(wallUs() - w0);
      if (i > 0) res[name]!['dec']!.push(cpu() - c0);
      v.receiver = d.state;
    }
    const commits: Uint8Array[] = [];
    for (let i = 0; i < COMMITS; i++) {
      const c0 = cpu();
      const w0 = wallUs();
      const c = v.t.createCommit(v.committer, { update: true });
      wall[name]!['create']!.push(wallUs() - w0);
      res[name]!['create']!.push(cpu() - c0);
      v.committer = c.state;
      commits.push(c.commit);
    }
    flush(v.c);
    for (const [i, c] of commits.entries()) {
      const c0 = cpu();
      const w0 = wallUs();
      const out = v.t.processCommit(v.receiver, c);
      if (i > 0) wall[name]!['process']!.push(wallUs() - w0);
      if (i > 0) res[name]!['process']!.push(cpu() - c0); // the first re-imports the receiver's own keys

      if (out.kind !== 'next_epoch') throw new Error('removed');
      v.receiver = out.state;
    }
  }
}
const med = (a: number[]): number => { const s = [...a].sort((x, y) => x - y); return s[Math.floor(s.length / 2)] ?? NaN; };
const mean = (a: number[]): number => a.reduce((x, y) => x + y, 0) / a.length;
console.log(`load ${(await import('node:os')).loadavg().map((x) => x.toFixed(2)).join(' ')}`);
for (const op of ['enc', 'dec', 'create', 'process']) {
  if (res['old']![op]!.length === 0) continue;
  const o = res['old']![op]!, n = res['new']![op]!;
  const wo = wall['old']![op]!, wn = wall['new']![op]!;
  console.log(
    `${op.padEnd(8)} cpu median old ${med(o).toFixed(1)} us  new ${med(n).toFixed(1)} us  (${(((med(n) - med(o)) / med(o)) * 100).toFixed(1)}%)   mean old ${mean(o).toFixed(1)} new ${mean(n).toFixed(1)}` +
      `  | wall median old ${med(wo).toFixed(1)} new ${med(wn).toFixed(1)} (${(((med(wn) - med(wo)) / med(wo)) * 100).toFixed(1)}%)  samples ${o.length}`,
  );
}
process.exit(0);
