// RFC 9420 section 8: the key schedule. Each epoch mixes the previous init_secret, the commit_secret
// and the psk_secret with the serialized GroupContext, and derives every per-epoch secret from the
// resulting epoch_secret. Section 8.5 (exporter) and 8.6 (external_pub) live here too.

import type { CipherSuite, KeyPair } from '@weft/crypto';
import { deriveSecret, expandWithLabel } from '@weft/crypto';

/** The secrets of one epoch (RFC 9420 section 8, table 4), all derived from its epoch_secret. */
export interface EpochSecrets {
  /** Keys the SenderData encryption of PrivateMessages. */
  readonly senderDataSecret: Uint8Array;
  /** Root of the secret tree. */
  readonly encryptionSecret: Uint8Array;
  /** Root of MLS-Exporter. */
  readonly exporterSecret: Uint8Array;
  /** Seeds the external HPKE key pair (external_pub). */
  readonly externalSecret: Uint8Array;
  /** MAC key of the confirmation_tag. */
  readonly confirmationKey: Uint8Array;
  /** MAC key of PublicMessage membership_tag. */
  readonly membershipKey: Uint8Array;
  /** Resumption PSK of this epoch. */
  readonly resumptionPsk: Uint8Array;
  /** Epoch authenticator: members compare it out of band to confirm they share the epoch. */
  readonly epochAuthenticator: Uint8Array;
  /** init_secret handed to the next epoch's key schedule. */
  readonly initSecret: Uint8Array;
}

/** An epoch's secrets plus the joiner and welcome secrets that led to it (what a Commit produces). */
export interface KeyScheduleSecrets extends EpochSecrets {
  /** Sent to new members in GroupSecrets; input to the welcome_secret and epoch_secret. */
  readonly joinerSecret: Uint8Array;
  /** Keys the Welcome's encrypted GroupInfo. */
  readonly welcomeSecret: Uint8Array;
}

/** Inputs of one key-schedule step. */
export interface KeyScheduleInput {
  /** init_secret of the previous epoch (random for a new group's first epoch). */
  readonly initSecret: Uint8Array;
  /** commit_secret of the Commit (all-zero of length Nh when the Commit has no path). */
  readonly commitSecret: Uint8Array;
  /** psk_secret (all-zero of length Nh when no PSK is used); see computePskSecret. */
  readonly pskSecret: Uint8Array;
  /** Serialized GroupContext of the new epoch. */
  readonly groupContext: Uint8Array;
}

/** The all-zero string of length Nh: the default commit_secret, psk_secret and extract salt. */
export function zeroSecret(cs: CipherSuite): Uint8Array {
  return new Uint8Array(cs.Nh);
}

/** joiner_secret = ExpandWithLabel(Extract(init_secret, commit_secret), "joiner", GroupContext, Nh). */
export function deriveJoinerSecret(cs: CipherSuite, initSecret: Uint8Array, commitSecret: Uint8Array, groupContext: Uint8Array): Uint8Array {
  return expandWithLabel(cs, cs.kdfExtract(initSecret, commitSecret), 'joiner', groupContext, cs.Nh);
}

/** welcome_secret = DeriveSecret(Extract(joiner_secret, psk_secret), "welcome"). */
export function deriveWelcomeSecret(cs: CipherSuite, joinerSecret: Uint8Array, pskSecret: Uint8Array): Uint8Array {
  return deriveSecret(cs, cs.kdfExtract(joinerSecret, pskSecret), 'welcome');
}

/**
 * Every epoch secret from the epoch_secret. A Commit reaches it through the joiner_secret; a new
 * group's creator uses a fresh random epoch_secret of Nh bytes for epoch 0 (RFC 9420 section 11).
 */
export function deriveEpochSecrets(cs: CipherSuite, epochSecret: Uint8Array): EpochSecrets {
  const d = (label: string): Uint8Array => deriveSecret(cs, epochSecret, label);
  return {
    senderDataSecret: d('sender data'),
    encryptionSecret: d('encryption'),
    exporterSecret: d('exporter'),
    externalSecret: d('external'),
    confirmationKey: d('confirm'),
    membershipKey: d('membership'),
    resumptionPsk: d('resumption'),
    epochAuthenticator: d('authentication'),
    initSecret: d('init'),
  };
}

/** The welcome_secret and every epoch secret from the joiner_secret (the step a new member runs). */
export function deriveEpochSecretsFromJoiner(cs: CipherSuite, joinerSecret: Uint8Array, pskSecret: Uint8Array, groupContext: Uint8Array): KeyScheduleSecrets {
  const member = cs.kdfExtract(joinerSecret, pskSecret);
  const epochSecret = expandWithLabel(cs, member, 'epoch', groupContext, cs.Nh);
  return { joinerSecret, welcomeSecret: deriveSecret(cs, member, 'welcome'), ...deriveEpochSecrets(cs, epochSecret) };
}

/** Runs one full key-schedule step (RFC 9420 section 8): previous init_secret to the new epoch's secrets. */
export function runKeySchedule(cs: CipherSuite, input: KeyScheduleInput): KeyScheduleSecrets {
  const joiner = deriveJoinerSecret(cs, input.initSecret, input.commitSecret, input.groupContext);
  return deriveEpochSecretsFromJoiner(cs, joiner, input.pskSecret, input.groupContext);
}

/** The epoch's external HPKE key pair: KEM.DeriveKeyPair(external_secret) (RFC 9420 section 8.3). */
export function deriveExternalKeyPair(cs: CipherSuite, externalSecret: Uint8Array): KeyPair {
  return cs.kemDeriveKeyPair(externalSecret);
}

/**
 * MLS-Exporter(Label, Context, Length) (RFC 9420 section 8.5). A string label is used as its UTF-8
 * bytes, exactly as given (key-schedule.json's hex-looking labels are not hex-decoded).
 */
export function exportSecret(cs: CipherSuite, exporterSecret: Uint8Array, label: string, context: Uint8Array, length: number): Uint8Array {
  const labelled = deriveSecret(cs, exporterSecret, label);
  return expandWithLabel(cs, labelled, 'exported', cs.hash(context), length);
}

/** Welcome AEAD key and nonce from the welcome_secret (RFC 9420 section 12.4.3.1). */
export function deriveWelcomeKeyAndNonce(cs: CipherSuite, welcomeSecret: Uint8Array): { key: Uint8Array; nonce: Uint8Array } {
  const empty = new Uint8Array(0);
  return {
    key: expandWithLabel(cs, welcomeSecret, 'key', empty, cs.Nk),
    nonce: expandWithLabel(cs, welcomeSecret, 'nonce', empty, cs.Nn),
  };
}
