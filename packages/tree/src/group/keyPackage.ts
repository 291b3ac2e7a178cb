// RFC 9420 section 10: creating a KeyPackage (a prospective member's signed offer to join) and the
// section 10.1 + 7.3 checks a group runs on one before adding it.

import { bytesEqual, CodecError } from '@weft/codec';
import { verifyWithLabelBatch, type CipherSuite, type KeyPair, type LabeledSignatureCheck } from '@weft/crypto';
import { MlsError } from '../errors.ts';
import { signKeyPackage, validateKeyPackage } from '../keyPackage.ts';
import { signLeafNode, verifyLeafNodeSignature } from '../ratchetTree/leafNodeSignature.ts';
import { makeKeyPackageRef } from '../references.ts';
import type { Capabilities } from '../wire/capabilities.ts';
import type { Credential } from '../wire/credential.ts';
import { MLS10 } from '../wire/enums.ts';
import { ExtensionType, type Extension } from '../wire/extension.ts';
import { encodeKeyPackage, encodeKeyPackageTBS, type KeyPackage } from '../wire/keyPackage.ts';
import { encodeLeafNodeTBS, type LeafNodeContent, type Lifetime } from '../wire/leafNode.ts';
import { encodeMlsMessage } from '../wire/mlsMessage.ts';

/** What createKeyPackage needs; everything but the credential has a default. */
export interface KeyPackageOptions {
  readonly credential: Credential;
  /** Default: version mls10, this suite, no extra extensions or proposals, basic credentials. */
  readonly capabilities?: Capabilities;
  /** Default: always valid (0 to 2^64-1); the core has no clock, so choose one at the edge. */
  readonly lifetime?: Lifetime;
  /** KeyPackage extensions (default none). */
  readonly extensions?: readonly Extension[];
  /** LeafNode extensions (default none). */
  readonly leafExtensions?: readonly Extension[];
  /** Reuse a device's signature key pair (default: a fresh one from the suite's random source). */
  readonly signatureKeyPair?: KeyPair;
}

/** The private half of a KeyPackage: what its owner keeps to join a group from a Welcome. */
export interface KeyPackagePrivateKeys {
  readonly initPrivateKey: Uint8Array;
  readonly encryptionPrivateKey: Uint8Array;
  readonly signaturePrivateKey: Uint8Array;
}

/** A KeyPackage with its private keys, its KeyPackageRef and its MLSMessage encoding. */
export interface KeyPackageBundle {
  readonly keyPackage: KeyPackage;
  readonly privateKeys: KeyPackagePrivateKeys;
  /** KeyPackageRef (RFC 9420 section 5.2), as named by a Welcome. */
  readonly ref: Uint8Array;
  /** MLSMessage-framed KeyPackage, ready to publish. */
  readonly message: Uint8Array;
}

const MAX_U64 = 0xffff_ffff_ffff_ffffn;
const BASIC_CREDENTIAL = 1;
const X509_CREDENTIAL = 2;
const EMPTY = new Uint8Array(0);
const DEFAULT_EXTENSIONS: ReadonlySet<number> = new Set(Object.values(ExtensionType));

/** Default capabilities of a Weft member: mls10, the group's suite, basic credentials. */
export function defaultCapabilities(cs: CipherSuite): Capabilities {
  return { versions: [MLS10], cipherSuites: [cs.id], extensions: [], proposals: [], credentials: [BASIC_CREDENTIAL] };
}

/** Creates and signs a KeyPackage with fresh init and encryption keys; randomness comes from the suite. */
export function createKeyPackage(cs: CipherSuite, options: KeyPackageOptions): KeyPackageBundle {
  const signature = options.signatureKeyPair ?? cs.signatureGenerateKeyPair();
  const encryption = cs.kemGenerateKeyPair();
  let init = cs.kemGenerateKeyPair();
  // Section 10.1 forbids init_key == encryption_key; with fresh keys this is only a guard.
  while (bytesEqual(init.publicKey, encryption.publicKey)) init = cs.kemGenerateKeyPair();
  const capabilities = options.capabilities ?? defaultCapabilities(cs);
  const leafContent: LeafNodeContent = {
    encryptionKey: encryption.publicKey,
    signatureKey: signature.publicKey,
    credential: options.credential,
    capabilities,
    leafNodeSource: { type: 'key_package', lifetime: options.lifetime ?? { notBefore: 0n, notAfter: MAX_U64 } },
    extensions: options.leafExtensions ?? [],
  };
  // A key_package leaf's TBS carries no group id or leaf index.
  const leafNode = signLeafNode(cs, leafContent, signature.privateKey, new Uint8Array(0), 0);
  const keyPackage = signKeyPackage(
    cs,
    { cipherSuite: cs.id, initKey: init.publicKey, leafNode, extensions: options.extensions ?? [] },
    signature.privateKey,
  );
  return {
    keyPackage,
    privateKeys: { initPrivateKey: init.privateKey, encryptionPrivateKey: encryption.privateKey, signaturePrivateKey: signature.privateKey },
    ref: makeKeyPackageRef(cs, encodeKeyPackage(keyPackage)),
    message: encodeMlsMessage({ wireFormat: 'key_package', keyPackage }),
  };
}

/** Options of validateKeyPackageStandalone. */
export interface KeyPackageValidationOptions {
  /** Seconds since the Unix epoch; when given, the leaf's lifetime must contain it. */
  readonly now?: bigint;
  /** Verdicts of the two signatures from verifyKeyPackageSignatures (else they are verified here). */
  readonly signatures?: KeyPackageSignatureVerdicts;
}

/** Whether a KeyPackage's own signature and its LeafNode's signature verify. */
export interface KeyPackageSignatureVerdicts {
  readonly keyPackage: boolean;
  readonly leafNode: boolean;
}

/**
 * Verifies the KeyPackage and LeafNode signatures of many KeyPackages as one batch (spread over
 * threads by the node provider). An entry is null when its TBS could not be encoded; the caller
 * then validates that KeyPackage the usual way, which reports the problem in the usual order.
 */
export function verifyKeyPackageSignatures(cs: CipherSuite, keyPackages: readonly KeyPackage[]): (KeyPackageSignatureVerdicts | null)[] {
  const checks: LabeledSignatureCheck[] = [];
  const slots: (number | null)[] = keyPackages.map((kp) => {
    let kpTbs: Uint8Array;
    let leafTbs: Uint8Array;
    try {
      kpTbs = encodeKeyPackageTBS(kp);
      leafTbs = encodeLeafNodeTBS(kp.leafNode, EMPTY, 0);
    } catch (err) {
      if (err instanceof CodecError) return null;
      throw err;
    }
    const key = kp.leafNode.signatureKey;
    checks.push({ publicKey: key, label: 'KeyPackageTBS', content: kpTbs, signature: kp.signature });
    checks.push({ publicKey: key, label: 'LeafNodeTBS', content: leafTbs, signature: kp.leafNode.signature });
    return checks.length - 2;
  });
  const ok = verifyWithLabelBatch(cs, checks);
  return slots.map((i) => (i === null ? null : { keyPackage: ok[i] === true, leafNode: ok[i + 1] === true }));
}

/**
 * The group-independent checks of RFC 9420 sections 10.1 and 7.3 on a KeyPackage: this suite,
 * KeyPackage and LeafNode signatures, init_key != encryption_key, key_package source, the leaf's
 * capabilities listing mls10, this suite and its own credential type, extensions it uses listed,
 * and the lifetime when a clock value is given. Group checks (uniqueness, required capabilities,
 * credential support by every member) come when it is added (see applyProposals).
 */
export function validateKeyPackageStandalone(cs: CipherSuite, keyPackage: KeyPackage, options: KeyPackageValidationOptions = {}): void {
  validateKeyPackage(cs, keyPackage, options.signatures?.keyPackage);
  const leaf = keyPackage.leafNode;
  // A malformed HPKE key would only fail later, when the committer seals the Welcome or a path secret to it.
  if (keyPackage.initKey.length !== cs.Npk) throw new MlsError('key_package_invalid', `the init_key has ${keyPackage.initKey.length} bytes, not ${cs.Npk}`);
  if (leaf.encryptionKey.length !== cs.Npk) throw new MlsError('key_package_invalid', `the encryption_key has ${leaf.encryptionKey.length} bytes, not ${cs.Npk}`);
  if (!(options.signatures?.leafNode ?? verifyLeafNodeSignature(cs, leaf, EMPTY, 0))) throw new MlsError('leaf_signature_invalid', "the KeyPackage's LeafNode signature does not verify");
  for (const e of leaf.extensions) {
    if (!DEFAULT_EXTENSIONS.has(e.extensionType) && !leaf.capabilities.extensions.includes(e.extensionType)) {
      throw new MlsError('capabilities_invalid', `the KeyPackage leaf uses extension ${e.extensionType} without listing it in its capabilities`);
    }
  }
  const caps = leaf.capabilities;
  if (!caps.versions.includes(MLS10)) throw new MlsError('capabilities_invalid', 'the KeyPackage leaf does not list protocol version mls10');
  if (!caps.cipherSuites.includes(cs.id)) throw new MlsError('capabilities_invalid', `the KeyPackage leaf does not list cipher suite ${cs.id}`);
  const credType = leaf.credential.credentialType === 'basic' ? BASIC_CREDENTIAL : X509_CREDENTIAL;
  if (!caps.credentials.includes(credType)) {
    throw new MlsError('capabilities_invalid', `the KeyPackage leaf's credential type ${credType} is not in its capabilities`);
  }
  if (options.now !== undefined && leaf.leafNodeSource.type === 'key_package') {
    const { notBefore, notAfter } = leaf.leafNodeSource.lifetime;
    if (options.now < notBefore || options.now > notAfter) {
      throw new MlsError('leaf_lifetime_invalid', `the KeyPackage is valid from ${notBefore} to ${notAfter}, not at ${options.now}`);
    }
  }
}

/** Throws key_package_private_key_mismatch unless the private keys belong to the KeyPackage. */
export function checkKeyPackagePrivateKeys(cs: CipherSuite, keyPackage: KeyPackage, keys: KeyPackagePrivateKeys): void {
  const ok =
    bytesEqual(cs.kemPublicKey(keys.initPrivateKey), keyPackage.initKey) &&
    bytesEqual(cs.kemPublicKey(keys.encryptionPrivateKey), keyPackage.leafNode.encryptionKey) &&
    bytesEqual(cs.signaturePublicKey(keys.signaturePrivateKey), keyPackage.leafNode.signatureKey);
  if (!ok) throw new MlsError('key_package_private_key_mismatch', 'the private keys do not match the KeyPackage');
}
