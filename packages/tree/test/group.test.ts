// Behaviour of the group layer: a three-member lifecycle (adds, an update, a remove, application
// messages, exporter and epoch authenticator agreement), and the rejections of processCommit with
// their specific codes, each leaving the receiver's state unchanged.
import { CodecError, bytesEqual, toHex, utf8 } from '@weft/codec';
import { getCipherSuite } from '@weft/crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MlsError,
  attachConfirmationTag,
  computeMembershipTag,
  createCommit,
  createGroup,
  createKeyPackage,
  decodeMlsMessage,
  decryptApplicationMessage,
  encodeMlsMessage,
  encodeRatchetTree,
  encryptApplicationMessage,
  exportGroupSecret,
  getEpochAuthenticator,
  joinFromWelcome,
  processCommit,
  processProposal,
  addExternalPsk,
  buildFullTreeGroup,
  createExternalPskId,
  proposeRemove,
  proposeUpdate,
  protectPublicMessage,
  signFramedContent,
  validateKeyPackageStandalone,
  type FramedContent,
  type GroupState,
  type KeyPackageBundle,
  type LeafIndex,
  type MlsErrorCode,
  type ProposalOrRef,
  type PublicMessage,
} from '../src/index.ts';
import { encodeFramedContentTbs } from '../src/framing/contentAuth.ts';
import { signKeyPackage } from '../src/keyPackage.ts';
import type { KeyPackage } from '../src/wire/keyPackage.ts';

const cs = getCipherSuite(1, 'node');

function member(name: string): KeyPackageBundle {
  return createKeyPackage(cs, { credential: { credentialType: 'basic', identity: utf8(name) } });
}

function founder(name: string): GroupState {
  const kp = member(name);
  return createGroup(cs, {
    leafNode: kp.keyPackage.leafNode,
    encryptionPrivateKey: kp.privateKeys.encryptionPrivateKey,
    signaturePrivateKey: kp.privateKeys.signaturePrivateKey,
  });
}

function join(welcome: Uint8Array | null, kp: KeyPackageBundle): GroupState {
  if (!welcome) throw new Error('no welcome');
  return joinFromWelcome(cs, welcome, kp);
}

function next(state: GroupState, commit: Uint8Array, proposals?: Uint8Array[]): GroupState {
  const out = processCommit(state, commit, proposals ? { proposals } : {});
  if (out.kind !== 'next_epoch') throw new Error('removed');
  return out.state;
}

/** What must not change when a commit is rejected. */
function fingerprint(s: GroupState): string {
  return `${s.groupContext.epoch}/${toHex(getEpochAuthenticator(s))}/${toHex(encodeRatchetTree(s.tree))}/${s.pendingProposals.size}`;
}

function expectCode(f: () => unknown, code: MlsErrorCode): void {
  let caught: unknown = null;
  try {
    f();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(MlsError);
  expect((caught as MlsError).code).toBe(code);
}

describe('KeyPackages', () => {
  it('creates a KeyPackage that validates, and rejects a tampered one', () => {
    const kp = member('alice');
    validateKeyPackageStandalone(cs, kp.keyPackage);
    expectCode(() => validateKeyPackageStandalone(cs, { ...kp.keyPackage, signature: kp.keyPackage.signature.map((b, i) => (i === 0 ? b ^ 1 : b)) }), 'key_package_signature_invalid');
    expectCode(() => validateKeyPackageStandalone(cs, kp.keyPackage, { now: 2n ** 64n }), 'leaf_lifetime_invalid');
    const other = getCipherSuite(3, 'node');
    expectCode(() => validateKeyPackageStandalone(other, kp.keyPackage), 'cipher_suite_mismatch');
  });
});

describe('an add of many KeyPackages (signatures verified as one batch)', () => {
  const flip = (b: Uint8Array): Uint8Array => b.map((x, i) => (i === 0 ? x ^ 1 : x));
  // 40 KeyPackages: 80 signatures, enough for the node provider to use its helper threads.
  const bundles = Array.from({ length: 40 }, (_, i) => member(`m${i}`));
  const kps = bundles.map((b) => b.keyPackage);
  // A KeyPackage whose own signature is valid over a LeafNode whose signature is not.
  const withBadLeaf = (i: number): KeyPackage => {
    const kp = kps[i] as KeyPackage;
    const { signature: _old, ...content } = { ...kp, leafNode: { ...kp.leafNode, signature: flip(kp.leafNode.signature) } };
    return signKeyPackage(cs, content, (bundles[i] as KeyPackageBundle).privateKeys.signaturePrivateKey);
  };

  it('adds all of them when every signature verifies', () => {
    const out = createCommit(founder('f'), { add: kps });
    expect(out.added.length).toBe(40);
  });

  it('rejects a bad KeyPackage signature or a bad LeafNode signature anywhere in the list, state unchanged', () => {
    const f = founder('f');
    const before = fingerprint(f);
    const badKp = kps.map((kp, i) => (i === 27 ? { ...kp, signature: flip(kp.signature) } : kp));
    expectCode(() => createCommit(f, { add: badKp }), 'key_package_signature_invalid');
    const badLeaf = kps.map((kp, i) => (i === 33 ? withBadLeaf(i) : kp));
    expectCode(() => createCommit(f, { add: badLeaf }), 'leaf_signature_invalid');
    // The first failing KeyPackage decides the code, as when they were checked one by one.
    const both = badLeaf.map((kp, i) => (i === 35 ? { ...kp, signature: flip(kp.signature) } : kp));
    expectCode(() => createCommit(f, { add: both }), 'leaf_signature_invalid');
    expect(fingerprint(f)).toBe(before);
  });
});

describe('key uniqueness across competing commits of one epoch', () => {
  it('a key added on one branch is a duplicate there but not on a sibling branch', () => {
    let s0 = createCommit(founder('f'), { add: [member('a').keyPackage, member('b').keyPackage] }).state;
    s0 = createCommit(s0, { update: true }).state; // the key index now follows the chain
    const x = member('x').keyPackage;
    const s1 = createCommit(s0, { add: [x] }).state;
    // Same epoch, other branch: x is not a member there, so adding it again is fine.
    const sibling = createCommit(s0, { add: [x] });
    expect(sibling.added.map((m) => m.leafIndex)).toEqual([3]);
    // On the branch where x is a member, its keys are taken.
    const before = fingerprint(s1);
    expectCode(() => createCommit(s1, { add: [x] }), 'duplicate_signature_key');
    expect(fingerprint(s1)).toBe(before);
    // And the sibling branch, after its own add, rejects x too.
    expectCode(() => createCommit(sibling.state, { add: [x] }), 'duplicate_signature_key');
  });
});

describe('a three-member group', () => {
  it('adds, updates, removes, exchanges messages and agrees on secrets', () => {
    let a = founder('a');
    const bKp = member('b');
    const cKp = member('c');

    // a adds b and c in one commit; both join from the Welcome.
    const add = createCommit(a, { add: [bKp.keyPackage, cKp.keyPackage] });
    a = add.state;
    let b = join(add.welcome, bKp);
    let c = join(add.welcome, cKp);
    expect(add.added.map((m) => m.leafIndex)).toEqual([1, 2]);
    expect(toHex(getEpochAuthenticator(b))).toBe(toHex(getEpochAuthenticator(a)));
    expect(toHex(getEpochAuthenticator(c))).toBe(toHex(getEpochAuthenticator(a)));

    // b proposes an Update; a commits it by reference; b and c process the commit.
    const upd = proposeUpdate(b);
    b = upd.state;
    const aWithProposal = processProposalInto(a, upd.message);
    const commitUpdate = createCommit(aWithProposal);
    a = commitUpdate.state;
    b = next(b, commitUpdate.commit);
    c = next(c, commitUpdate.commit, [upd.message]);
    expect(toHex(getEpochAuthenticator(b))).toBe(toHex(getEpochAuthenticator(a)));
    expect(toHex(getEpochAuthenticator(c))).toBe(toHex(getEpochAuthenticator(a)));
    expect(bytesEqual(b.tree.leaves[1]?.encryptionKey ?? new Uint8Array(), bKp.keyPackage.leafNode.encryptionKey)).toBe(false);

    // c proposes nothing; a removes c (by value) with a path; c learns it was removed.
    const cBefore = c;
    const remove = createCommit(a, { remove: [2 as LeafIndex] });
    a = remove.state;
    b = next(b, remove.commit);
    const cOut = processCommit(c, remove.commit);
    expect(cOut.kind).toBe('removed');
    expect(a.tree.leafCount).toBe(2);

    // b and a exchange application messages.
    const m1 = encryptApplicationMessage(b, utf8('hello a'));
    b = m1.state;
    const r1 = decryptApplicationMessage(a, m1.message);
    a = r1.state;
    expect(new TextDecoder().decode(r1.plaintext)).toBe('hello a');
    expect(r1.sender).toBe(1);
    const m2 = encryptApplicationMessage(a, utf8('hello b'), { authenticatedData: utf8('ad') });
    a = m2.state;
    const r2 = decryptApplicationMessage(b, m2.message);
    b = r2.state;
    expect(new TextDecoder().decode(r2.plaintext)).toBe('hello b');
    expect(new TextDecoder().decode(r2.authenticatedData)).toBe('ad');
    // The same message cannot be decrypted twice (its key was erased).
    expectCode(() => decryptApplicationMessage(b, m2.message), 'generation_already_used');

    // Same exported secret and epoch authenticator.
    expect(toHex(exportGroupSecret(a, 'test', utf8('ctx'), 32))).toBe(toHex(exportGroupSecret(b, 'test', utf8('ctx'), 32)));
    expect(toHex(getEpochAuthenticator(a))).toBe(toHex(getEpochAuthenticator(b)));

    // c, removed, cannot read the new epoch's messages, neither with its last state nor its earlier one.
    expectCode(() => decryptApplicationMessage(cBefore, m2.message), 'wrong_epoch');
    expect(cOut.kind === 'removed' && cOut.epoch === cBefore.groupContext.epoch).toBe(true);
  });

  it('commits a Remove proposal by reference and an empty commit with a path', () => {
    let a = founder('a');
    const bKp = member('b');
    const cKp = member('c');
    const add = createCommit(a, { add: [bKp.keyPackage, cKp.keyPackage] });
    a = add.state;
    let b = join(add.welcome, bKp);
    let c = join(add.welcome, cKp);
    const rm = proposeRemove(b, 0 as LeafIndex);
    b = rm.state;
    c = processProposalInto(c, rm.message);
    const commit = createCommit(c);
    c = commit.state;
    b = next(b, commit.commit);
    const aOut = processCommit(a, commit.commit, { proposals: [rm.message] });
    expect(aOut.kind).toBe('removed');
    const empty = createCommit(b, { update: true });
    b = empty.state;
    c = next(c, empty.commit);
    expect(toHex(getEpochAuthenticator(c))).toBe(toHex(getEpochAuthenticator(b)));
    expect(c.tree.leaves[0]).toBeNull();
  });
});

function processProposalInto(s: GroupState, message: Uint8Array): GroupState {
  return processProposal(s, message).state;
}

/** A two-member group (a, b) plus a commit by a that b has not processed yet. */
function pendingCommit(): { a0: GroupState; b: GroupState; commit: Uint8Array; next: GroupState } {
  const a = founder('a');
  const bKp = member('b');
  const add = createCommit(a, { add: [bKp.keyPackage] });
  const b = join(add.welcome, bKp);
  const c = createCommit(add.state, { update: true });
  return { a0: add.state, b, commit: c.commit, next: c.state };
}

function publicMessage(bytes: Uint8Array): PublicMessage {
  const m = decodeMlsMessage(bytes);
  if (m.wireFormat !== 'public_message') throw new Error('not public');
  return m.publicMessage;
}

/** Re-frames `pm` as a's member message of epoch a0 with a recomputed membership tag (signature left as given). */
function withMembershipTag(a0: GroupState, pm: PublicMessage): Uint8Array {
  const tbs = encodeFramedContentTbs('public_message', pm.content, a0.framing.groupContext);
  const membershipTag = computeMembershipTag(cs, a0.epochSecrets.membershipKey, tbs, pm.auth, pm.content.contentType);
  return encodeMlsMessage({ wireFormat: 'public_message', publicMessage: { ...pm, membershipTag } });
}

/** Re-signs modified content as a (valid signature and membership tag), keeping the confirmation tag. */
function resigned(a0: GroupState, content: FramedContent, confirmationTag: Uint8Array): Uint8Array {
  const signed = attachConfirmationTag(signFramedContent(cs, a0.framing.groupContext, 'public_message', content, a0.signaturePrivateKey), confirmationTag);
  return encodeMlsMessage({ wireFormat: 'public_message', publicMessage: protectPublicMessage(cs, a0.framing, signed) });
}

function flip(bytes: Uint8Array, i = 0): Uint8Array {
  const out = bytes.slice();
  out[i] = (out[i] as number) ^ 1;
  return out;
}

describe('processCommit rejections leave the state unchanged', () => {
  const { a0, b, commit, next: aNext } = pendingCommit();
  const pm = publicMessage(commit);
  const before = fingerprint(b);

  /** The commit with its proposal list replaced, re-signed by a (so only the proposals are wrong). */
  const withProposals = (proposals: ProposalOrRef[]): Uint8Array => {
    const content = pm.content;
    if (content.contentType !== 'commit') throw new Error('not a commit');
    return resigned(a0, { ...content, commit: { ...content.commit, proposals } }, pm.auth.confirmationTag as Uint8Array);
  };

  const cases: [string, () => Uint8Array, MlsErrorCode][] = [
    ['bad signature', () => withMembershipTag(a0, { ...pm, auth: { ...pm.auth, signature: flip(pm.auth.signature) } }), 'signature_invalid'],
    ['bad membership tag', () => encodeMlsMessage({ wireFormat: 'public_message', publicMessage: { ...pm, membershipTag: flip(pm.membershipTag as Uint8Array) } }), 'membership_tag_invalid'],
    [
      'bad confirmation tag',
      () => withMembershipTag(a0, { ...pm, auth: { ...pm.auth, confirmationTag: flip(pm.auth.confirmationTag as Uint8Array) } }),
      'confirmation_tag_invalid',
    ],
    ['wrong epoch', () => withMembershipTag(a0, { ...pm, content: { ...pm.content, epoch: pm.content.epoch + 1n } }), 'wrong_epoch'],
    ['wrong group', () => withMembershipTag(a0, { ...pm, content: { ...pm.content, groupId: flip(pm.content.groupId) } }), 'wrong_group'],
    [
      'bad parent hash (path key swapped, commit re-signed)',
      () => {
        const content = pm.content;
        if (content.contentType !== 'commit' || !content.commit.path) throw new Error('no path');
        const path = content.commit.path;
        const nodes = path.nodes.map((n, i) => (i === 0 ? { ...n, encryptionKey: cs.kemGenerateKeyPair().publicKey } : n));
        return resigned(a0, { ...content, commit: { ...content.commit, path: { ...path, nodes } } }, pm.auth.confirmationTag as Uint8Array);
      },
      'parent_hash_invalid',
    ],
    [
      'bad signature on the path leaf (commit re-signed; checked on a helper thread with the node provider)',
      () => {
        const content = pm.content;
        if (content.contentType !== 'commit' || !content.commit.path) throw new Error('no path');
        const path = content.commit.path;
        const leafNode = { ...path.leafNode, signature: flip(path.leafNode.signature) };
        return resigned(a0, { ...content, commit: { ...content.commit, path: { ...path, leafNode } } }, pm.auth.confirmationTag as Uint8Array);
      },
      'leaf_signature_invalid',
    ],
    ['unknown proposal reference', () => withProposals([{ type: 'reference', reference: cs.randomBytes(32) }]), 'proposal_ref_unknown'],
    ['committer removing itself', () => withProposals([{ type: 'proposal', proposal: { proposalType: 'remove', removed: 0 } }]), 'committer_removed_self'],
    [
      'duplicate adds',
      () => {
        const add: ProposalOrRef = { type: 'proposal', proposal: { proposalType: 'add', keyPackage: member('d').keyPackage } };
        return withProposals([add, add]);
      },
      'duplicate_add',
    ],
    ['a Remove of a leaf that is not a member', () => withProposals([{ type: 'proposal', proposal: { proposalType: 'remove', removed: 7 } }]), 'remove_target_invalid'],
    [
      'an Update by value (from the committer)',
      () => {
        const content = pm.content;
        if (content.contentType !== 'commit' || !content.commit.path) throw new Error('no path');
        return withProposals([{ type: 'proposal', proposal: { proposalType: 'update', leafNode: content.commit.path.leafNode } }]);
      },
      'committer_update_included',
    ],
    [
      'a path-requiring proposal without a path',
      () => {
        const content = pm.content;
        if (content.contentType !== 'commit') throw new Error('not a commit');
        return resigned(a0, { ...content, commit: { proposals: [], path: null } }, pm.auth.confirmationTag as Uint8Array);
      },
      'commit_path_required',
    ],
  ];

  for (const [name, make, code] of cases) {
    it(`${name} -> ${code}`, () => {
      expectCode(() => processCommit(b, make()), code);
      expect(fingerprint(b)).toBe(before);
    });
  }

  it('the untampered commit still processes afterwards', () => {
    const out = processCommit(b, commit);
    expect(out.kind).toBe('next_epoch');
    if (out.kind === 'next_epoch') expect(toHex(getEpochAuthenticator(out.state))).toBe(toHex(getEpochAuthenticator(aNext)));
    expect(fingerprint(b)).toBe(before);
  });

  it('the committer cannot process its own commit', () => {
    expectCode(() => processCommit(a0, commit), 'commit_from_self');
  });

  it('a committer cannot remove itself or add the same KeyPackage twice', () => {
    expectCode(() => createCommit(a0, { remove: [0 as LeafIndex] }), 'committer_removed_self');
    const kp = member('d').keyPackage;
    expectCode(() => createCommit(a0, { add: [kp, kp] }), 'duplicate_add');
  });

  it('mutated commit bytes give a typed error only, and the state stays as it was', () => {
    fc.assert(
      fc.property(fc.nat({ max: commit.length - 1 }), fc.integer({ min: 1, max: 255 }), fc.boolean(), (pos, x, truncate) => {
        const bytes = truncate ? commit.subarray(0, pos) : commit.slice();
        if (!truncate) bytes[pos] = (bytes[pos] as number) ^ x;
        try {
          processCommit(b, bytes);
        } catch (err) {
          expect(err instanceof MlsError || err instanceof CodecError).toBe(true);
        }
        expect(fingerprint(b)).toBe(before);
      }),
      { numRuns: 300 },
    );
  });
});

describe('more commit shapes', () => {
  it('a commit sent as a PrivateMessage, a PSK commit with a joiner, and competing commits of one epoch', () => {
    let a = founder('a');
    const bKp = member('b');
    const add = createCommit(a, { add: [bKp.keyPackage] });
    a = add.state;
    let b = join(add.welcome, bKp);

    const priv = createCommit(a, { update: true, wireFormat: 'private_message' });
    a = priv.state;
    b = next(b, priv.commit);
    expect(toHex(getEpochAuthenticator(b))).toBe(toHex(getEpochAuthenticator(a)));

    // An external PSK both hold, injected while c joins; c gets it through its own options.
    const pskId = utf8('shared psk');
    const psk = cs.randomBytes(32);
    a = addExternalPsk(a, pskId, psk);
    b = addExternalPsk(b, pskId, psk);
    const cKp = member('c');
    const withPsk = createCommit(a, { add: [cKp.keyPackage], psks: [createExternalPskId(cs, pskId)] });
    expectCode(() => joinFromWelcome(cs, withPsk.welcome as Uint8Array, cKp), 'psk_missing');
    const c = joinFromWelcome(cs, withPsk.welcome as Uint8Array, cKp, { externalPsks: [{ id: pskId, secret: psk }] });
    const bAfter = next(b, withPsk.commit);
    expect(toHex(getEpochAuthenticator(c))).toBe(toHex(getEpochAuthenticator(withPsk.state)));
    expect(toHex(getEpochAuthenticator(bAfter))).toBe(toHex(getEpochAuthenticator(withPsk.state)));

    // Two competing commits on the same epoch (a fork): b can process either from the same state.
    const fromA = createCommit(withPsk.state, { update: true });
    const fromC = createCommit(c, { update: true });
    const viaA = next(bAfter, fromA.commit);
    const viaC = next(bAfter, fromC.commit);
    expect(toHex(getEpochAuthenticator(viaA))).toBe(toHex(getEpochAuthenticator(fromA.state)));
    expect(toHex(getEpochAuthenticator(viaC))).toBe(toHex(getEpochAuthenticator(fromC.state)));
    // ... and the key index follows each branch: re-adding b's own signature key is refused on both.
    const dup = createKeyPackage(cs, {
      credential: { credentialType: 'basic', identity: utf8('b again') },
      signatureKeyPair: { privateKey: bKp.privateKeys.signaturePrivateKey, publicKey: bKp.keyPackage.leafNode.signatureKey },
    });
    expectCode(() => createCommit(fromA.state, { add: [dup.keyPackage] }), 'duplicate_signature_key');
    expectCode(() => createCommit(viaC, { add: [dup.keyPackage] }), 'duplicate_signature_key');
  });

  it('builds a full tree for benchmarks: every node non-blank, tracked members agree', () => {
    const g = buildFullTreeGroup(cs, 16, [0, 5, 15]);
    const [s0, s5, s15] = g.states as [GroupState, GroupState, GroupState];
    expect(s0.tree.leaves.every((l) => l !== null)).toBe(true);
    expect(s0.tree.parents.every((p) => p !== null)).toBe(true);
    expect(s0.tree.parents.every((p) => p?.unmergedLeaves.length === 0)).toBe(true);
    expect(toHex(getEpochAuthenticator(s5))).toBe(toHex(getEpochAuthenticator(s0)));
    const c = createCommit(s5, { update: true });
    expect(toHex(getEpochAuthenticator(next(s0, c.commit)))).toBe(toHex(getEpochAuthenticator(c.state)));
    expect(toHex(getEpochAuthenticator(next(s15, c.commit)))).toBe(toHex(getEpochAuthenticator(c.state)));
  });
});

describe('joinFromWelcome rejections', () => {
  const a = founder('a');
  const bKp = member('b');
  const add = createCommit(a, { add: [bKp.keyPackage], ratchetTreeExtension: false });
  const welcome = add.welcome as Uint8Array;

  it('needs the tree when the GroupInfo does not carry it, and joins with it', () => {
    expectCode(() => joinFromWelcome(cs, welcome, bKp), 'ratchet_tree_missing');
    const b = joinFromWelcome(cs, welcome, bKp, { ratchetTree: encodeRatchetTree(add.state.tree) });
    expect(toHex(getEpochAuthenticator(b))).toBe(toHex(getEpochAuthenticator(add.state)));
  });

  it('refuses a tree that does not match the GroupContext tree hash', () => {
    expectCode(() => joinFromWelcome(cs, welcome, bKp, { ratchetTree: encodeRatchetTree(a.tree) }), 'tree_hash_mismatch');
    const other = createCommit(founder('x'), { add: [member('y').keyPackage] });
    expectCode(() => joinFromWelcome(cs, welcome, bKp, { ratchetTree: encodeRatchetTree(other.state.tree) }), 'group_info_signature_invalid');
  });

  it('refuses a Welcome for someone else and private keys that do not match the KeyPackage', () => {
    const c = member('c');
    expectCode(() => joinFromWelcome(cs, welcome, c), 'welcome_not_for_us');
    expectCode(() => joinFromWelcome(cs, welcome, { keyPackage: bKp.keyPackage, privateKeys: c.privateKeys }), 'key_package_private_key_mismatch');
  });
});
