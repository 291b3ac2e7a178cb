import { describe, expect, it } from 'vitest';
import { getCipherSuite } from '@weft/crypto';
import {
  computeConfirmationTag,
  computePskSecret,
  createWelcome,
  encodeGroupContext,
  openWelcome,
  runKeySchedule,
  signGroupInfo,
  type GroupContext,
  type PskInput,
  type WelcomeKeys,
} from '../src/index.ts';
import { codeOf } from './support/codeOf.ts';

const cs = getCipherSuite(3, 'node');
const signer = cs.signatureGenerateKeyPair();
const joiner = cs.kemGenerateKeyPair();
const ref = cs.randomBytes(32);
const psks: PskInput[] = [{ id: { pskType: 'external', pskId: Uint8Array.of(1, 2), pskNonce: cs.randomBytes(32) }, psk: cs.randomBytes(32) }];
const gc: GroupContext = {
  cipherSuite: 3,
  groupId: Uint8Array.of(7),
  epoch: 4n,
  treeHash: cs.randomBytes(32),
  confirmedTranscriptHash: cs.randomBytes(32),
  extensions: [],
};
const secrets = runKeySchedule(cs, { initSecret: cs.randomBytes(32), commitSecret: cs.randomBytes(32), pskSecret: computePskSecret(cs, psks), groupContext: encodeGroupContext(gc) });
const groupInfo = signGroupInfo(cs, { groupContext: gc, extensions: [], confirmationTag: computeConfirmationTag(cs, secrets.confirmationKey, gc.confirmedTranscriptHash), signer: 0 }, signer.privateKey);
const welcome = createWelcome(cs, { groupInfo, joinerSecret: secrets.joinerSecret, psks, recipients: [{ keyPackageRef: ref, initKey: joiner.publicKey, pathSecret: null }] });
const keys: WelcomeKeys = {
  keyPackageRef: ref,
  initPrivateKey: joiner.privateKey,
  resolvePsk: (id) => (id.pskType === 'external' && id.pskId[0] === 1 ? (psks[0]?.psk ?? null) : null),
  signerPublicKey: () => signer.publicKey,
};


describe('Welcome (RFC 9420 section 12.4.3)', () => {
  it('a joiner holding the PSK reaches the committer epoch', () => {
    const opened = openWelcome(cs, welcome, keys);
    expect(opened.epochSecrets.epochAuthenticator).toEqual(secrets.epochAuthenticator);
    expect(opened.epochSecrets.encryptionSecret).toEqual(secrets.encryptionSecret);
    expect(opened.groupSecrets.psks).toHaveLength(1);
  });

  it('names what went wrong', () => {
    expect(codeOf(() => openWelcome(cs, welcome, { ...keys, resolvePsk: () => null }))).toBe('psk_missing');
    expect(codeOf(() => openWelcome(cs, welcome, { ...keys, keyPackageRef: new Uint8Array(32) }))).toBe('welcome_not_for_us');
    expect(codeOf(() => openWelcome(cs, welcome, { ...keys, initPrivateKey: cs.kemGenerateKeyPair().privateKey }))).toBe('welcome_group_secrets_decrypt_failed');
    expect(codeOf(() => openWelcome(cs, welcome, { ...keys, signerPublicKey: () => cs.signatureGenerateKeyPair().publicKey }))).toBe('group_info_signature_invalid');
    expect(codeOf(() => openWelcome(cs, welcome, { ...keys, signerPublicKey: () => null }))).toBe('unknown_sender');
    expect(codeOf(() => openWelcome(cs, { ...welcome, cipherSuite: 1 }, keys))).toBe('cipher_suite_mismatch');
    const badTag = signGroupInfo(cs, { ...groupInfo, confirmationTag: new Uint8Array(32) }, signer.privateKey);
    const w2 = createWelcome(cs, { groupInfo: badTag, joinerSecret: secrets.joinerSecret, psks, recipients: [{ keyPackageRef: ref, initKey: joiner.publicKey, pathSecret: null }] });
    expect(codeOf(() => openWelcome(cs, w2, keys))).toBe('confirmation_tag_invalid');
    const flipped = welcome.encryptedGroupInfo.slice();
    flipped[0] = (flipped[0] as number) ^ 1;
    // The GroupSecrets are bound to encrypted_group_info (HPKE context), so tampering fails there first.
    expect(codeOf(() => openWelcome(cs, { ...welcome, encryptedGroupInfo: flipped }, keys))).toBe('welcome_group_secrets_decrypt_failed');
  });
});
