import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CodecError } from '@weft/codec';
import { getCipherSuite } from '@weft/crypto';
import {
  MlsError,
  attachConfirmationTag,
  consumeKey,
  createFramingContext,
  createSecretTree,
  decodeMlsMessage,
  encodeMlsMessage,
  findRatchet,
  leafIndex,
  protectApplicationData,
  protectPrivateMessage,
  protectPublicMessage,
  signFramedContent,
  unprotectPrivateMessage,
  unprotectPublicMessage,
  type FramedContent,
  type GroupContext,
  type SecretTree,
  type SignatureKeyLookup,
} from '../src/index.ts';

const cs = getCipherSuite(1, 'node');
const LEAVES = 8;
const SENDER = 5;
const sig = cs.signatureGenerateKeyPair();
const gc: GroupContext = {
  cipherSuite: 1,
  groupId: new TextEncoder().encode('group'),
  epoch: 7n,
  treeHash: new Uint8Array(32).fill(1),
  confirmedTranscriptHash: new Uint8Array(32).fill(2),
  extensions: [],
};
const ctx = createFramingContext(gc, { membershipKey: new Uint8Array(32).fill(3), senderDataSecret: new Uint8Array(32).fill(4) });
const encryptionSecret = new Uint8Array(32).fill(5);
const lookup: SignatureKeyLookup = (c) => (c.sender.senderType === 'member' && c.sender.leafIndex === SENDER ? sig.publicKey : null);

function content(body: { contentType: 'application'; applicationData: Uint8Array } | { contentType: 'proposal'; proposal: { proposalType: 'remove'; removed: number } }): FramedContent {
  return { groupId: gc.groupId, epoch: gc.epoch, sender: { senderType: 'member', leafIndex: SENDER }, authenticatedData: new Uint8Array(0), ...body };
}

function appMessages(n: number): { bytes: Uint8Array[]; sender: SecretTree } {
  let sender = createSecretTree(encryptionSecret, LEAVES);
  const bytes: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const ac = signFramedContent(cs, ctx.groupContext, 'private_message', content({ contentType: 'application', applicationData: Uint8Array.of(i) }), sig.privateKey);
    const p = protectPrivateMessage(cs, ctx, sender, ac, { paddingLength: i % 3 });
    sender = p.secretTree;
    bytes.push(encodeMlsMessage({ wireFormat: 'private_message', privateMessage: p.message }));
  }
  return { bytes, sender };
}

function receive(tree: SecretTree, bytes: Uint8Array): { tree: SecretTree; data: number } {
  const m = decodeMlsMessage(bytes);
  if (m.wireFormat !== 'private_message') throw new Error('not a PrivateMessage');
  const r = unprotectPrivateMessage(cs, ctx, tree, m.privateMessage, lookup);
  const c = r.authenticatedContent.content;
  if (c.contentType !== 'application') throw new Error('not application data');
  return { tree: r.secretTree, data: c.applicationData[0] as number };
}

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    if (err instanceof MlsError || err instanceof CodecError) return `${err.name}:${err.code}`;
    throw err; // anything else is a bug: the test fails with the raw exception
  }
  return 'ok';
}

const mutation = fc.record({ at: fc.nat(), xor: fc.integer({ min: 1, max: 255 }), cut: fc.boolean() });

function mutate(bytes: Uint8Array, m: { at: number; xor: number; cut: boolean }): Uint8Array {
  if (m.cut) return bytes.subarray(0, m.at % bytes.length);
  const out = bytes.slice();
  const i = m.at % out.length;
  out[i] = (out[i] as number) ^ m.xor;
  return out;
}

describe('framing (RFC 9420 section 6) under hostile input', () => {
  const proposal = signFramedContent(cs, ctx.groupContext, 'public_message', content({ contentType: 'proposal', proposal: { proposalType: 'remove', removed: 2 } }), sig.privateKey);
  const publicBytes = encodeMlsMessage({ wireFormat: 'public_message', publicMessage: protectPublicMessage(cs, ctx, proposal) });

  it('a mutated or truncated PublicMessage fails with MlsError or CodecError', () => {
    fc.assert(
      fc.property(mutation, (m) => {
        const code = codeOf(() => {
          const msg = decodeMlsMessage(mutate(publicBytes, m));
          if (msg.wireFormat !== 'public_message') throw new MlsError('wrong_wire_format', 'not a PublicMessage');
          unprotectPublicMessage(cs, ctx, msg.publicMessage, lookup);
        });
        expect(code).not.toBe('ok');
      }),
      { numRuns: 300 },
    );
  });

  it('a mutated or truncated PrivateMessage fails with a typed error and leaves the secret tree unchanged', () => {
    const { bytes } = appMessages(3);
    const tree = consumeKey(cs, createSecretTree(encryptionSecret, LEAVES), leafIndex(SENDER), 'application', 0).tree;
    const before = findRatchet(tree, leafIndex(SENDER), 'application');
    const original = bytes[2] as Uint8Array;
    fc.assert(
      fc.property(mutation, (m) => {
        const code = codeOf(() => receive(tree, mutate(original, m)));
        expect(code).not.toBe('ok');
        expect(findRatchet(tree, leafIndex(SENDER), 'application')).toBe(before);
      }),
      { numRuns: 300 },
    );
    // The untouched tree still decrypts the genuine message.
    expect(receive(tree, original).data).toBe(2);
  });

  it('out-of-order PrivateMessages within the window decrypt; replays are rejected with generation_already_used', () => {
    const { bytes } = appMessages(12);
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 11 }), { minLength: 1, maxLength: 30 }), (order) => {
        let tree = createSecretTree(encryptionSecret, LEAVES);
        const seen = new Set<number>();
        for (const i of order) {
          if (seen.has(i)) {
            expect(codeOf(() => receive(tree, bytes[i] as Uint8Array))).toBe('MlsError:generation_already_used');
          } else {
            const r = receive(tree, bytes[i] as Uint8Array);
            expect(r.data).toBe(i);
            tree = r.tree;
            seen.add(i);
          }
        }
      }),
      { numRuns: 50 },
    );
  });

  it('protectApplicationData round-trips with authenticated data', () => {
    const sent = protectApplicationData(cs, ctx, createSecretTree(encryptionSecret, LEAVES), leafIndex(SENDER), Uint8Array.of(42), sig.privateKey, { authenticatedData: Uint8Array.of(1, 2, 3) });
    expect(sent.generation).toBe(0);
    const r = unprotectPrivateMessage(cs, ctx, createSecretTree(encryptionSecret, LEAVES), sent.message, lookup);
    expect(r.authenticatedContent.content.authenticatedData).toEqual(Uint8Array.of(1, 2, 3));
    expect(receive(createSecretTree(encryptionSecret, LEAVES), encodeMlsMessage({ wireFormat: 'private_message', privateMessage: sent.message })).data).toBe(42);
    const tampered = { ...sent.message, authenticatedData: Uint8Array.of(1, 2, 4) };
    expect(codeOf(() => unprotectPrivateMessage(cs, ctx, createSecretTree(encryptionSecret, LEAVES), tampered, lookup))).toBe('MlsError:content_decrypt_failed');
  });

  it('rejects wrong group, wrong epoch, unknown senders, application data as PublicMessage and missing confirmation tags', () => {
    const other = createFramingContext({ ...gc, epoch: 8n }, { membershipKey: ctx.membershipKey, senderDataSecret: ctx.senderDataSecret });
    const pub = decodeMlsMessage(publicBytes);
    if (pub.wireFormat !== 'public_message') throw new Error('unreachable');
    expect(codeOf(() => unprotectPublicMessage(cs, other, pub.publicMessage, lookup))).toBe('MlsError:wrong_epoch');
    const otherGroup = createFramingContext({ ...gc, groupId: Uint8Array.of(9) }, ctx);
    expect(codeOf(() => unprotectPublicMessage(cs, otherGroup, pub.publicMessage, lookup))).toBe('MlsError:wrong_group');
    expect(codeOf(() => unprotectPublicMessage(cs, ctx, pub.publicMessage, () => null))).toBe('MlsError:unknown_sender');
    const wrongKey = cs.signatureGenerateKeyPair().publicKey;
    expect(codeOf(() => unprotectPublicMessage(cs, ctx, pub.publicMessage, () => wrongKey))).toBe('MlsError:signature_invalid');
    const app = signFramedContent(cs, ctx.groupContext, 'public_message', content({ contentType: 'application', applicationData: Uint8Array.of(1) }), sig.privateKey);
    expect(codeOf(() => protectPublicMessage(cs, ctx, app))).toBe('MlsError:application_in_public_message');
    const commit: FramedContent = { groupId: gc.groupId, epoch: gc.epoch, sender: { senderType: 'member', leafIndex: SENDER }, authenticatedData: new Uint8Array(0), contentType: 'commit', commit: { proposals: [], path: null } };
    const signed = signFramedContent(cs, ctx.groupContext, 'public_message', commit, sig.privateKey);
    expect(codeOf(() => protectPublicMessage(cs, ctx, signed))).toBe('MlsError:confirmation_tag_missing');
    const tagged = attachConfirmationTag(signed, new Uint8Array(32));
    const back = unprotectPublicMessage(cs, ctx, protectPublicMessage(cs, ctx, tagged), lookup);
    expect(back.auth.confirmationTag).toEqual(new Uint8Array(32));
    const { bytes } = appMessages(1);
    const small = createSecretTree(encryptionSecret, 4);
    expect(codeOf(() => receive(small, bytes[0] as Uint8Array))).toBe('MlsError:unknown_sender_leaf');
  });
});
