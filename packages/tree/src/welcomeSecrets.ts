// RFC 9420 section 12.4.3: Welcome. The committer encrypts the new epoch's GroupInfo under a key
// from the welcome_secret, and each new member's GroupSecrets (joiner_secret, optional path
// secret, PSK ids) to that member's KeyPackage init_key with EncryptWithLabel(., "Welcome",
// encrypted_group_info, .). A joiner reverses both, checks the GroupInfo signature, runs the key
// schedule from the joiner_secret and checks the confirmation_tag.

import type { CipherSuite } from '@weft/crypto';
import { decryptWithLabel, encryptWithLabel, signWithLabel, verifyWithLabel } from '@weft/crypto';
import { bytesEqual } from '@weft/codec';
import { MlsError } from './errors.ts';
import { deriveEpochSecretsFromJoiner, deriveWelcomeKeyAndNonce, deriveWelcomeSecret, type KeyScheduleSecrets } from './keySchedule.ts';
import { computePskSecret, type PskInput } from './psk.ts';
import { verifyConfirmationTag } from './transcriptHash.ts';
import { encodeGroupContext } from './wire/groupContext.ts';
import { decodeGroupInfo, encodeGroupInfo, encodeGroupInfoTBS, type GroupInfo, type GroupInfoContent } from './wire/groupInfo.ts';
import type { HPKECiphertext } from './wire/hpkeCiphertext.ts';
import type { PreSharedKeyID } from './wire/proposal.ts';
import { decodeGroupSecrets, encodeGroupSecrets, type EncryptedGroupSecrets, type GroupSecrets, type Welcome } from './wire/welcome.ts';

const GROUP_INFO_LABEL = 'GroupInfoTBS';
const WELCOME_LABEL = 'Welcome';

/** Signs GroupInfoTBS with SignWithLabel(., "GroupInfoTBS", .) and returns the GroupInfo. */
export function signGroupInfo(cs: CipherSuite, content: GroupInfoContent, signaturePrivateKey: Uint8Array): GroupInfo {
  return { ...content, signature: signWithLabel(cs, signaturePrivateKey, GROUP_INFO_LABEL, encodeGroupInfoTBS(content)) };
}

/** True when the GroupInfo signature verifies under the signer's public key (false for a malformed key). */
export function verifyGroupInfoSignature(cs: CipherSuite, groupInfo: GroupInfo, signerPublicKey: Uint8Array): boolean {
  try {
    return verifyWithLabel(cs, signerPublicKey, GROUP_INFO_LABEL, encodeGroupInfoTBS(groupInfo), groupInfo.signature);
  } catch {
    return false;
  }
}

/** encrypted_group_info = AEAD.Seal(welcome_key, welcome_nonce, "", GroupInfo). */
export function encryptGroupInfo(cs: CipherSuite, welcomeSecret: Uint8Array, groupInfo: GroupInfo): Uint8Array {
  const { key, nonce } = deriveWelcomeKeyAndNonce(cs, welcomeSecret);
  return cs.aeadSeal(key, nonce, new Uint8Array(0), encodeGroupInfo(groupInfo));
}

/** Decrypts and decodes encrypted_group_info; throws MlsError welcome_group_info_decrypt_failed or CodecError. */
export function decryptGroupInfo(cs: CipherSuite, welcomeSecret: Uint8Array, encryptedGroupInfo: Uint8Array): GroupInfo {
  const { key, nonce } = deriveWelcomeKeyAndNonce(cs, welcomeSecret);
  let plaintext: Uint8Array;
  try {
    plaintext = cs.aeadOpen(key, nonce, new Uint8Array(0), encryptedGroupInfo);
  } catch {
    throw new MlsError('welcome_group_info_decrypt_failed', 'the Welcome GroupInfo does not decrypt');
  }
  return decodeGroupInfo(plaintext);
}

/** EncryptWithLabel(init_key, "Welcome", encrypted_group_info, GroupSecrets) for one new member. */
export function encryptGroupSecrets(cs: CipherSuite, initKey: Uint8Array, encryptedGroupInfo: Uint8Array, groupSecrets: GroupSecrets): HPKECiphertext {
  return encryptWithLabel(cs, initKey, WELCOME_LABEL, encryptedGroupInfo, encodeGroupSecrets(groupSecrets));
}

/** Decrypts one member's GroupSecrets with its init private key; throws MlsError welcome_group_secrets_decrypt_failed or CodecError. */
export function decryptGroupSecrets(cs: CipherSuite, initPrivateKey: Uint8Array, encryptedGroupInfo: Uint8Array, ciphertext: HPKECiphertext): GroupSecrets {
  let plaintext: Uint8Array;
  try {
    plaintext = decryptWithLabel(cs, initPrivateKey, WELCOME_LABEL, encryptedGroupInfo, ciphertext.kemOutput, ciphertext.ciphertext);
  } catch {
    throw new MlsError('welcome_group_secrets_decrypt_failed', 'the GroupSecrets do not decrypt with this init key');
  }
  return decodeGroupSecrets(plaintext);
}

/** One member a Welcome is for. */
export interface WelcomeRecipient {
  /** KeyPackageRef of the member's KeyPackage (makeKeyPackageRef). */
  readonly keyPackageRef: Uint8Array;
  /** The KeyPackage's init_key. */
  readonly initKey: Uint8Array;
  /** Path secret of the lowest common ancestor with the committer, when the commit had a path. */
  readonly pathSecret: Uint8Array | null;
}

/** What createWelcome needs from the commit that adds the members. */
export interface WelcomeInput {
  /** The signed GroupInfo of the new epoch (signGroupInfo). */
  readonly groupInfo: GroupInfo;
  /** joiner_secret of the new epoch. */
  readonly joinerSecret: Uint8Array;
  /** The PSKs the commit injected, in order (their values are used for the welcome_secret). */
  readonly psks: readonly PskInput[];
  readonly recipients: readonly WelcomeRecipient[];
}

/** Builds the Welcome for new members (the committer's side of RFC 9420 section 12.4.3.1). */
export function createWelcome(cs: CipherSuite, input: WelcomeInput): Welcome {
  const welcomeSecret = deriveWelcomeSecret(cs, input.joinerSecret, computePskSecret(cs, input.psks));
  const encryptedGroupInfo = encryptGroupInfo(cs, welcomeSecret, input.groupInfo);
  const psks = input.psks.map((p) => p.id);
  const secrets: EncryptedGroupSecrets[] = input.recipients.map((r) => ({
    newMember: r.keyPackageRef,
    encryptedGroupSecrets: encryptGroupSecrets(cs, r.initKey, encryptedGroupInfo, { joinerSecret: input.joinerSecret, pathSecret: r.pathSecret, psks }),
  }));
  return { cipherSuite: cs.id, secrets, encryptedGroupInfo };
}

/** What a joiner brings to openWelcome. */
export interface WelcomeKeys {
  /** KeyPackageRef of the joiner's KeyPackage. */
  readonly keyPackageRef: Uint8Array;
  /** HPKE private key of the KeyPackage's init_key. */
  readonly initPrivateKey: Uint8Array;
  /** Value of a PSK named in GroupSecrets, or null if this member does not hold it. */
  readonly resolvePsk?: (id: PreSharedKeyID) => Uint8Array | null;
  /** Signature public key of the GroupInfo's signer (leaf `groupInfo.signer` of the group's ratchet tree), or null if unknown. */
  readonly signerPublicKey: (groupInfo: GroupInfo) => Uint8Array | null;
}

/** A decrypted and verified Welcome: the secrets and GroupInfo a joiner builds its group state from. */
export interface OpenedWelcome {
  readonly groupSecrets: GroupSecrets;
  readonly groupInfo: GroupInfo;
  readonly pskSecret: Uint8Array;
  /** Key-schedule output of the epoch the joiner enters (confirmation_tag already checked). */
  readonly epochSecrets: KeyScheduleSecrets;
}

/**
 * Opens a Welcome (joiner's side of RFC 9420 section 12.4.3.1): finds our EncryptedGroupSecrets,
 * decrypts GroupSecrets and GroupInfo, verifies the GroupInfo signature, runs the key schedule and
 * checks the confirmation_tag. The ratchet tree checks are the caller's. Throws MlsError
 * (cipher_suite_mismatch, welcome_not_for_us, welcome_group_secrets_decrypt_failed, psk_missing,
 * welcome_group_info_decrypt_failed, unknown_sender, group_info_signature_invalid,
 * confirmation_tag_invalid) or CodecError.
 */
export function openWelcome(cs: CipherSuite, welcome: Welcome, keys: WelcomeKeys): OpenedWelcome {
  if (welcome.cipherSuite !== cs.id) throw new MlsError('cipher_suite_mismatch', `the Welcome uses cipher suite ${welcome.cipherSuite}, not ${cs.id}`);
  const mine = welcome.secrets.find((s) => bytesEqual(s.newMember, keys.keyPackageRef));
  if (!mine) throw new MlsError('welcome_not_for_us', 'no EncryptedGroupSecrets names our KeyPackage');
  const groupSecrets = decryptGroupSecrets(cs, keys.initPrivateKey, welcome.encryptedGroupInfo, mine.encryptedGroupSecrets);
  const psks: PskInput[] = groupSecrets.psks.map((id) => {
    const psk = keys.resolvePsk?.(id) ?? null;
    if (psk === null) throw new MlsError('psk_missing', `the Welcome needs a ${id.pskType} PSK we do not hold`);
    return { id, psk };
  });
  const pskSecret = computePskSecret(cs, psks);
  const groupInfo = decryptGroupInfo(cs, deriveWelcomeSecret(cs, groupSecrets.joinerSecret, pskSecret), welcome.encryptedGroupInfo);
  const gc = groupInfo.groupContext;
  if (gc.cipherSuite !== cs.id) throw new MlsError('cipher_suite_mismatch', `the GroupInfo uses cipher suite ${gc.cipherSuite}, not ${cs.id}`);
  const signerKey = keys.signerPublicKey(groupInfo);
  if (signerKey === null) throw new MlsError('unknown_sender', `no signature key for GroupInfo signer leaf ${groupInfo.signer}`);
  if (!verifyGroupInfoSignature(cs, groupInfo, signerKey)) throw new MlsError('group_info_signature_invalid', 'the GroupInfo signature does not verify');
  const epochSecrets = deriveEpochSecretsFromJoiner(cs, groupSecrets.joinerSecret, pskSecret, encodeGroupContext(gc));
  if (!verifyConfirmationTag(cs, epochSecrets.confirmationKey, gc.confirmedTranscriptHash, groupInfo.confirmationTag)) {
    throw new MlsError('confirmation_tag_invalid', 'the GroupInfo confirmation_tag does not match the key schedule');
  }
  return { groupSecrets, groupInfo, pskSecret, epochSecrets };
}
