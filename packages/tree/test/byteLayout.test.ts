// The exact-size encoders of the per-message path must give the codec Writer's bytes, field for
// field, whatever the lengths (1-, 2- and 4-byte varint headers): a peer re-encoding with the
// general encoders, or an older Weft, must sign, verify and parse the same bytes.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { concatBytes, toHex } from '@weft/codec';
import { getCipherSuite, verifyWithLabel } from '@weft/crypto';
import { memberFramedContentTbsParts, encodeFramedContentTbs } from '../src/framing/contentAuth.ts';
import { createFramingContext } from '../src/framing/framingContext.ts';
import { protectApplicationData, unprotectPrivateMessage } from '../src/framing/privateMessage.ts';
import { createSecretTree } from '../src/secretTree.ts';
import { leafIndex } from '../src/treeMath.ts';
import type { ContentType } from '../src/wire/enums.ts';
import type { FramedContent } from '../src/wire/framedContent.ts';
import { decodeMlsMessage, encodeMlsMessage, encodePrivateMlsMessage } from '../src/wire/mlsMessage.ts';
import {
  assemblePrivateMessageContent,
  decodePrivateMessageContentWithBody,
  encodePrivateContentAAD,
  encodePrivateMessageContent,
  decodeSenderData,
  encodeSenderData,
  encodeSenderDataAAD,
} from '../src/wire/privateMessage.ts';
import { CodecError, fromHex } from '@weft/codec';
import { encode } from '@weft/codec';
import { writeContentType } from '../src/wire/enums.ts';

const bytesArb = fc.oneof(fc.uint8Array({ maxLength: 80 }), fc.uint8Array({ minLength: 16380, maxLength: 16400 }));
const contentTypeArb = fc.constantFrom<ContentType>('application', 'proposal', 'commit');

describe('exact-size encoders', () => {
  it('AADs, SenderData and the PrivateMessage wire bytes equal the Writer encodings', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.bigInt({ min: 0n, max: 0xffffffffffffffffn }), contentTypeArb, bytesArb, bytesArb, bytesArb, (groupId, epoch, contentType, ad, esd, ct) => {
        const prefix = encode((w) => w.opaque(groupId).u64(epoch));
        expect(toHex(encodeSenderDataAAD(groupId, epoch, contentType))).toBe(toHex(encode((w) => (w.raw(prefix), writeContentType(w, contentType)))));
        expect(toHex(encodePrivateContentAAD(groupId, epoch, contentType, ad))).toBe(
          toHex(encode((w) => (w.raw(prefix), writeContentType(w, contentType), w.opaque(ad)))),
        );
        const m = { groupId, epoch, contentType, authenticatedData: ad, encryptedSenderData: esd, ciphertext: ct };
        const fast = encodePrivateMlsMessage(m);
        expect(toHex(fast)).toBe(toHex(encodeMlsMessage({ wireFormat: 'private_message', privateMessage: m })));
        expect(decodeMlsMessage(fast)).toEqual({ wireFormat: 'private_message', privateMessage: m });
      }),
      { numRuns: 20 },
    );
    const sd = { leafIndex: 0xfffffffe, generation: 70000, reuseGuard: Uint8Array.of(1, 2, 3, 4) };
    expect(toHex(encodeSenderData(sd))).toBe(toHex(encode((w) => w.u32(sd.leafIndex).u32(sd.generation).raw(sd.reuseGuard))));
  });

  it('SenderData decodes from exactly 12 bytes and rejects shorter or longer input with the Reader error codes', () => {
    expect(decodeSenderData(fromHex('fffffffe' + '00011170' + '01020304'))).toEqual({ leafIndex: 0xfffffffe, generation: 70000, reuseGuard: Uint8Array.of(1, 2, 3, 4) });
    const codeOf = (hex: string): string => {
      try {
        decodeSenderData(fromHex(hex));
      } catch (err) {
        if (err instanceof CodecError) return err.code;
        throw err;
      }
      return 'no error';
    };
    expect(codeOf('00000001' + '00000002' + '010203')).toBe('truncated');
    expect(codeOf('')).toBe('truncated');
    expect(codeOf('00000001' + '00000002' + '0102030405')).toBe('trailing_bytes');
  });

  it('PrivateMessageContent from an encoded body equals encodePrivateMessageContent and decodes back with that body', () => {
    fc.assert(
      fc.property(bytesArb, fc.uint8Array({ minLength: 64, maxLength: 64 }), fc.nat({ max: 300 }), (data, signature, paddingLength) => {
        const body = encode((w) => w.opaque(data));
        const assembled = assemblePrivateMessageContent(body, { signature, confirmationTag: null }, 'application', paddingLength);
        const general = encodePrivateMessageContent({ contentType: 'application', applicationData: data, auth: { signature, confirmationTag: null }, paddingLength });
        expect(toHex(assembled)).toBe(toHex(general));
        const back = decodePrivateMessageContentWithBody(assembled, 'application');
        expect(toHex(back.body)).toBe(toHex(body));
        expect(back.content.paddingLength).toBe(paddingLength);
      }),
      { numRuns: 40 },
    );
  });

  it('FramedContentTBS pieces of a member equal encodeFramedContentTbs, for both wire formats', () => {
    const gc = { cipherSuite: 1, groupId: Uint8Array.of(9, 9), epoch: 42n, treeHash: new Uint8Array(32).fill(1), confirmedTranscriptHash: new Uint8Array(32).fill(2), extensions: [] };
    const ctx = createFramingContext(gc, { membershipKey: new Uint8Array(32), senderDataSecret: new Uint8Array(32) });
    fc.assert(
      fc.property(bytesArb, bytesArb, fc.nat({ max: 0xffffffff }), (data, ad, leaf) => {
        const content: FramedContent = { groupId: gc.groupId, epoch: gc.epoch, sender: { senderType: 'member', leafIndex: leaf }, authenticatedData: ad, contentType: 'application', applicationData: data };
        for (const wireFormat of ['public_message', 'private_message'] as const) {
          const parts = memberFramedContentTbsParts(wireFormat, ctx, leaf, ad, 'application', encode((w) => w.opaque(data)));
          expect(toHex(concatBytes(...parts))).toBe(toHex(encodeFramedContentTbs(wireFormat, content, ctx.groupContext)));
        }
      }),
      { numRuns: 40 },
    );
  });

  it('an application message signs the same FramedContentTBS a general verifier re-encodes', () => {
    const cs = getCipherSuite(1, 'node');
    const sig = cs.signatureGenerateKeyPair();
    const gc = { cipherSuite: 1, groupId: Uint8Array.of(7), epoch: 3n, treeHash: new Uint8Array(32).fill(1), confirmedTranscriptHash: new Uint8Array(32).fill(2), extensions: [] };
    const ctx = createFramingContext(gc, { membershipKey: new Uint8Array(32).fill(3), senderDataSecret: new Uint8Array(32).fill(4) });
    const tree = createSecretTree(new Uint8Array(32).fill(5), 4);
    const data = new Uint8Array(100).fill(0x61);
    const ad = Uint8Array.of(1, 2, 3);
    const out = protectApplicationData(cs, ctx, tree, leafIndex(2), data, sig.privateKey, { authenticatedData: ad, paddingLength: 7 });
    const got = unprotectPrivateMessage(cs, ctx, tree, out.message, () => sig.publicKey);
    const content = got.authenticatedContent.content;
    expect(content.contentType === 'application' && toHex(content.applicationData)).toBe(toHex(data));
    // The signature verifies over the TBS encoded the general way, from the decoded content.
    expect(verifyWithLabel(cs, sig.publicKey, 'FramedContentTBS', encodeFramedContentTbs('private_message', content, ctx.groupContext), got.authenticatedContent.auth.signature)).toBe(true);
  });
});

describe('cached LeafNode encodings', () => {
  it('a signed, a decoded and a structurally equal fresh LeafNode encode, hash and verify alike', async () => {
    const { createKeyPackage } = await import('../src/group/keyPackage.ts');
    const { signLeafNode, verifyLeafNodeSignature } = await import('../src/ratchetTree/leafNodeSignature.ts');
    const { decodeLeafNode, encodeLeafNode, encodeLeafNodeTBS } = await import('../src/wire/leafNode.ts');
    const cs = getCipherSuite(1, 'node');
    const bundle = createKeyPackage(cs, { credential: { credentialType: 'basic', identity: new TextEncoder().encode('alice') } });
    const groupId = Uint8Array.of(1, 2, 3);
    for (const source of [{ type: 'commit' as const, parentHash: new Uint8Array(32).fill(9) }, { type: 'update' as const }, bundle.keyPackage.leafNode.leafNodeSource]) {
      const { signature: _drop, ...content } = bundle.keyPackage.leafNode;
      const signed = signLeafNode(cs, { ...content, leafNodeSource: source }, bundle.privateKeys.signaturePrivateKey, groupId, 5);
      const fresh = { ...signed }; // same fields, no cached encoding
      const decoded = decodeLeafNode(encodeLeafNode(fresh));
      for (const leaf of [signed, decoded]) {
        expect(toHex(encodeLeafNode(leaf))).toBe(toHex(encodeLeafNode(fresh)));
        expect(toHex(encodeLeafNodeTBS(leaf, groupId, 5))).toBe(toHex(encodeLeafNodeTBS(fresh, groupId, 5)));
        expect(verifyLeafNodeSignature(cs, leaf, groupId, 5)).toBe(true);
        // Bound to its position: another leaf index does not verify.
        if (source.type !== 'key_package') expect(verifyLeafNodeSignature(cs, leaf, groupId, 6)).toBe(false);
      }
    }
  });
});
