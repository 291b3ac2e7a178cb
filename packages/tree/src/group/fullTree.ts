// A hook for benchmarks and simulations: a real group of N members whose ratchet tree is full
// (every leaf and every parent node non-blank), built with ordinary commits.
//
// How: one add-all commit with a path (KeyPackages verified, Welcome built), then one empty
// commit with a path from every even leaf in bit-reversed order, which fills every parent while
// keeping copath resolutions small. A commit with a path needs only the public state and the
// committer's signature key, so untracked committers are played from the shared public state;
// the tracked members commit last and process each other's commits for real.

import type { CipherSuite } from '@weft/crypto';
import { utf8 } from '@weft/codec';
import { createTreePrivateKeys } from '../treeKem/treePrivateKeys.ts';
import type { LeafIndex } from '../treeMath.ts';
import { createCommit } from './commit.ts';
import type { GroupState } from './groupState.ts';
import { createGroup, joinFromWelcome } from './join.ts';
import { createKeyPackage, type KeyPackageBundle } from './keyPackage.ts';
import { processCommit } from './processCommit.ts';

/** A full-tree group and the states of the members that were tracked while building it. */
export interface FullTreeGroup {
  /** States of the tracked members, in the order of `track`, all in the same (last) epoch. */
  readonly states: readonly GroupState[];
  readonly memberCount: number;
}

function bitReverse(x: number, bits: number): number {
  let r = 0;
  for (let i = 0; i < bits; i++) if (x & (1 << i)) r |= 1 << (bits - 1 - i);
  return r;
}

/** `base` (any member's state) as seen by the member at leaf `l` holding only its leaf and signature keys. */
function actAs(base: GroupState, l: number, bundle: KeyPackageBundle): GroupState {
  return { ...base, privateKeys: createTreePrivateKeys(l as LeafIndex, bundle.privateKeys.encryptionPrivateKey), signaturePrivateKey: bundle.privateKeys.signaturePrivateKey };
}

/**
 * Builds a group of `n` members (n a power of two >= 2) with every tree node non-blank, returning
 * the states of the members at the leaves in `track` (default leaf 0 and leaf n-1). Each member
 * commits at most once, with a fresh leaf, so its KeyPackage leaf key is all it needs before.
 */
export function buildFullTreeGroup(cs: CipherSuite, n: number, track: readonly number[] = [0, n - 1]): FullTreeGroup {
  if (!Number.isInteger(Math.log2(n)) || n < 2) throw new RangeError(`n must be a power of two >= 2, not ${n}`);
  if (new Set(track).size !== track.length || track.some((t) => !Number.isInteger(t) || t < 0 || t >= n)) throw new RangeError('track must list distinct leaves below n');
  const bundles: KeyPackageBundle[] = [];
  for (let i = 0; i < n; i++) bundles.push(createKeyPackage(cs, { credential: { credentialType: 'basic', identity: utf8(`member ${i}`) } }));
  const first = bundles[0] as KeyPackageBundle;
  const creator = createGroup(cs, {
    leafNode: first.keyPackage.leafNode,
    encryptionPrivateKey: first.privateKeys.encryptionPrivateKey,
    signaturePrivateKey: first.privateKeys.signaturePrivateKey,
  });
  // One add-all commit with a path (every KeyPackage verified, Welcome built).
  let base = createCommit(creator, { add: bundles.slice(1).map((b) => b.keyPackage), update: true, ratchetTreeExtension: false }).state;
  // Untracked members: one empty commit from each even leaf, bit-reversed so copath resolutions stay small.
  const tracked = new Set(track);
  const bits = Math.log2(n);
  for (let i = 0; i < n; i++) {
    const l = bitReverse(i, bits);
    if (l % 2 !== 0 || l === 0 || tracked.has(l)) continue;
    base = createCommit(actAs(base, l, bundles[l] as KeyPackageBundle), { update: true }).state;
  }
  // Tracked members commit last, one after the other; the earlier ones process the later commits.
  let states: GroupState[] = [];
  for (const t of track) {
    // A commit with a path needs no earlier private key of the committer: it replaces its leaf and path.
    const c = createCommit(actAs(base, t, bundles[t] as KeyPackageBundle), { update: true });
    states = states.map((s) => {
      const out = processCommit(s, c.commit);
      if (out.kind !== 'next_epoch') throw new Error('a tracked member was removed');
      return out.state;
    });
    states.push(c.state);
    base = c.state;
  }
  return { states, memberCount: n };
}
