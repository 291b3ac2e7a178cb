import { readFileSync } from 'node:fs';
import { encode, fromHex } from '@weft/codec';
import { getCipherSuite } from '@weft/crypto';
import { describe, expect, it } from 'vitest';
import {
  decodeMlsMessage,
  decodeRatchetTree,
  ExtensionType,
  leafIndex,
  signKeyPackage,
  signLeafNode,
  validateKeyPackage,
  validateLeafNode,
  writeRequiredCapabilities,
  type KeyPackage,
  type LeafNode,
  type LeafNodeContent,
  type LeafNodeValidationContext,
} from '../src/index.ts';
import { codeOf } from './support/codeOf.ts';

const cs = getCipherSuite(1, 'node');
const kemCases = JSON.parse(readFileSync(new URL('../../../vectors/mls/treekem.json', import.meta.url), 'utf8')) as Record<string, unknown>[];
const tc = kemCases.find((c) => c.cipher_suite === 1 && (c.leaves_private as unknown[]).length === 8)!;
const tree = decodeRatchetTree(fromHex(String(tc.ratchet_tree)));
const groupId = fromHex(String(tc.group_id));
const sigPriv = new Map((tc.leaves_private as { index: number; signature_priv: string }[]).map((l) => [l.index, fromHex(l.signature_priv)]));

const at = leafIndex(3);
const ctx: LeafNodeValidationContext = { groupId, source: 'update', leafIndex: at, groupContextExtensions: [] };

/** Leaf 3 as an Update: new encryption key, re-signed; `changes` applied before signing. */
function updateLeafNode(changes: Partial<LeafNodeContent> = {}, signer = 3): LeafNode {
  const { signature: _s, ...old } = tree.leaves[3]!;
  const content: LeafNodeContent = { ...old, encryptionKey: cs.kemGenerateKeyPair().publicKey, leafNodeSource: { type: 'update' }, ...changes };
  return signLeafNode(cs, content, sigPriv.get(signer)!, groupId, 3);
}


describe('LeafNode validation (RFC 9420 section 7.3)', () => {
  it('accepts a fresh Update leaf and rejects each broken rule with its code', () => {
    expect(codeOf(() => validateLeafNode(cs, tree, updateLeafNode(), ctx))).toBe('ok');
    expect(codeOf(() => validateLeafNode(cs, tree, updateLeafNode(), { ...ctx, source: 'commit' }))).toBe('leaf_source_invalid');
    expect(codeOf(() => validateLeafNode(cs, tree, updateLeafNode(), { ...ctx, groupId: new Uint8Array(3) }))).toBe('leaf_signature_invalid');
    expect(codeOf(() => validateLeafNode(cs, tree, updateLeafNode({ encryptionKey: tree.leaves[3]!.encryptionKey }), ctx))).toBe('duplicate_encryption_key');
    expect(codeOf(() => validateLeafNode(cs, tree, updateLeafNode({ encryptionKey: tree.leaves[0]!.encryptionKey }), ctx))).toBe('duplicate_encryption_key');
    // Leaf 0's signature key, signed by leaf 0's private key so the signature itself is fine.
    expect(codeOf(() => validateLeafNode(cs, tree, updateLeafNode({ signatureKey: tree.leaves[0]!.signatureKey }, 0), ctx))).toBe('duplicate_signature_key');
    const unlisted = updateLeafNode({ extensions: [{ extensionType: 0xff01, extensionData: new Uint8Array(0) }] });
    expect(codeOf(() => validateLeafNode(cs, tree, unlisted, ctx))).toBe('capabilities_invalid');
    const required = encode((w) => writeRequiredCapabilities(w, { extensionTypes: [0xff02], proposalTypes: [], credentialTypes: [] }));
    const withRequired = { ...ctx, groupContextExtensions: [{ extensionType: ExtensionType.requiredCapabilities, extensionData: required }] };
    expect(codeOf(() => validateLeafNode(cs, tree, updateLeafNode(), withRequired))).toBe('capabilities_invalid');
  });

  it('checks a key_package lifetime when a time is given', () => {
    const lifetime = { notBefore: 100n, notAfter: 200n };
    const leaf = updateLeafNode({ leafNodeSource: { type: 'key_package', lifetime } });
    const kpCtx = { ...ctx, source: 'key_package' as const, leafIndex: leafIndex(3) };
    expect(codeOf(() => validateLeafNode(cs, tree, leaf, { ...kpCtx, now: 150n }))).toBe('ok');
    expect(codeOf(() => validateLeafNode(cs, tree, leaf, { ...kpCtx, now: 201n }))).toBe('leaf_lifetime_invalid');
  });
});

describe('KeyPackage validation (RFC 9420 section 10.1)', () => {
  const welcomeCase = (JSON.parse(readFileSync(new URL('../../../vectors/mls/welcome.json', import.meta.url), 'utf8')) as Record<string, string>[]).find(
    (c) => Number(c.cipher_suite) === 1,
  )!;
  const m = decodeMlsMessage(fromHex(welcomeCase.key_package!));
  if (m.wireFormat !== 'key_package') throw new Error('expected a KeyPackage');
  const kp: KeyPackage = m.keyPackage;

  it('accepts the vector KeyPackage and rejects tampering', () => {
    expect(codeOf(() => validateKeyPackage(cs, kp))).toBe('ok');
    expect(codeOf(() => validateKeyPackage(getCipherSuite(3, 'node'), kp))).toBe('cipher_suite_mismatch');
    expect(codeOf(() => validateKeyPackage(cs, { ...kp, initKey: cs.kemGenerateKeyPair().publicKey }))).toBe('key_package_signature_invalid');
    const sk = cs.signatureGenerateKeyPair();
    const { signature: _s, ...content } = { ...kp, leafNode: { ...kp.leafNode, signatureKey: sk.publicKey } };
    const resigned = signKeyPackage(cs, { ...content, initKey: kp.leafNode.encryptionKey }, sk.privateKey);
    expect(codeOf(() => validateKeyPackage(cs, resigned))).toBe('key_package_invalid');
  });
});
