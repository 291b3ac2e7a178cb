// Weft groups for the MLS benchmark, built through the public group API.
//
// Full tree of N (every leaf and every parent node non-blank, no unmerged leaves): the tree
// package's buildFullTreeGroup hook. It verifies N-1 KeyPackages in one add-all commit with a
// path, then makes one path commit from every other even leaf in bit-reversed order (N/2; N/4,
// 3N/4; ...), which fills every parent with O(N log N) HPKE encryptions in all (left to right would
// cost O(N^2): each commit would encrypt to every still-blank leaf on its right). Untracked
// committers are played from the shared public state with their own leaf and signature keys
// (creating a commit needs no other private key); the tracked members (here leaf 1, leaf N-1, then
// leaf 0) commit last and process each other's commits for real. The result is checked below.
//
// "add-all" shape (the shape ts-mls can be measured on): one add-all commit from leaf 0 without
// a path, joined by leaf 1 from its Welcome; every parent node blank, so a commit from leaf 0
// encrypts its path secrets to all N-1 other leaves.
import { getCipherSuite } from '@weft/crypto';
import type { CipherSuite, ProviderName } from '@weft/crypto';
import { buildFullTreeGroup, createCommit, createGroup, createKeyPackage, joinFromWelcome } from '@weft/tree';
import type { GroupState, KeyPackageBundle } from '@weft/tree';

export type TreeShape = 'full' | 'add-all';

/** The measured members of one group. */
export interface WeftGroup {
  readonly n: number;
  readonly shape: TreeShape;
  /** Leaf 0: creator, committer under test, sender of application messages. */
  readonly committer: GroupState;
  /** Leaf 1: the committer's sibling; decrypts at its leaf and derives the whole path (worst case). */
  readonly receiver: GroupState;
  /** Leaf N-1 (= leaf 1 when N = 2): under the root's other child; derives only the root. */
  readonly far: GroupState;
  /** Wall time of building the group (ms), for the log. */
  readonly buildMs: number;
}

const enc = new TextEncoder();

/** N KeyPackages (basic credentials "member-i"). */
export function makeBundles(cs: CipherSuite, n: number): KeyPackageBundle[] {
  const out: KeyPackageBundle[] = [];
  for (let i = 0; i < n; i++) out.push(createKeyPackage(cs, { credential: { credentialType: 'basic', identity: enc.encode(`member-${i}`) } }));
  return out;
}

/** A one-member group founded by `bundle`'s owner. */
export function foundGroup(cs: CipherSuite, bundle: KeyPackageBundle): GroupState {
  return createGroup(cs, {
    leafNode: bundle.keyPackage.leafNode,
    encryptionPrivateKey: bundle.privateKeys.encryptionPrivateKey,
    signaturePrivateKey: bundle.privateKeys.signaturePrivateKey,
  });
}

function bundleAt(bundles: readonly KeyPackageBundle[], i: number): KeyPackageBundle {
  const b = bundles[i];
  if (!b) throw new Error(`no KeyPackage for leaf ${i}`);
  return b;
}

/** A full-tree group of `n` (a power of two >= 2) on the node provider; checks that it is full. */
export function buildFullWeftGroup(n: number): WeftGroup {
  const cs = getCipherSuite(1, 'node');
  const t = performance.now();
  const track = n > 2 ? [1, n - 1, 0] : [1, 0];
  const built = buildFullTreeGroup(cs, n, track);
  const [receiver, second, third] = built.states;
  const committer = n > 2 ? third : second;
  const far = n > 2 ? second : receiver;
  if (!receiver || !committer || !far) throw new Error('buildFullTreeGroup returned too few states');
  assertFull(committer);
  assertFull(receiver);
  if (committer.privateKeys.leafIndex !== 0 || receiver.privateKeys.leafIndex !== 1) throw new Error('unexpected tracked leaves');
  return { n, shape: 'full', committer, receiver, far, buildMs: performance.now() - t };
}

/** The add-all shape of `n`: leaf 0 adds `bundles[1..n-1]` in one pathless commit; leaf 1 joins. */
export function buildAddAllWeftGroup(bundles: readonly KeyPackageBundle[]): WeftGroup {
  const cs = getCipherSuite(1, 'node');
  const n = bundles.length;
  const t = performance.now();
  const added = createCommit(foundGroup(cs, bundleAt(bundles, 0)), { add: bundles.slice(1).map((b) => b.keyPackage) });
  if (!added.welcome) throw new Error('add-all commit produced no Welcome');
  const receiver = joinFromWelcome(cs, added.welcome, bundleAt(bundles, 1));
  return { n, shape: 'add-all', committer: added.state, receiver, far: receiver, buildMs: performance.now() - t };
}

/** Throws unless every leaf and parent of the state's tree is non-blank and no parent has unmerged leaves. */
export function assertFull(state: GroupState): void {
  const tree = state.tree;
  for (let i = 0; i < tree.leafCount; i++) if (!tree.leaves[i]) throw new Error(`leaf ${i} is blank`);
  for (let j = 0; j < tree.leafCount - 1; j++) {
    const p = tree.parents[j];
    if (!p) throw new Error(`parent node ${2 * j + 1} is blank`);
    if (p.unmergedLeaves.length > 0) throw new Error(`parent node ${2 * j + 1} has unmerged leaves`);
  }
}

/**
 * The same member state on another provider. The providers give byte-identical results (property
 * tests in packages/crypto), and a GroupState holds only bytes plus its suite, so a tree built with
 * the fast provider is exactly the tree the other would have built.
 */
export function onProvider(state: GroupState, provider: ProviderName): GroupState {
  return { ...state, cs: getCipherSuite(state.cs.id, provider) };
}
