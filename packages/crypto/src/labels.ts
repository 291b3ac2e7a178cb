// RFC 9420 section 5 labelled operations, written once over the CipherSuite interface.
import { Writer, encodeVarint, utf8, varintSize, writeVarintAt } from '@weft/codec';
import type { CipherSuite, HpkeCiphertext, PendingVerdicts, SignatureCheck } from './cipherSuite.ts';
import { verifyEach } from './checks.ts';
import { CryptoError } from './errors.ts';

const EMPTY = new Uint8Array(0);
const MLS_PREFIX = 'MLS 1.0 ';

// Labels are a small fixed set of constants, so their UTF-8 bytes are memoised.
const labelBytes = new Map<string, Uint8Array>();
function mlsLabel(label: string): Uint8Array {
  let bytes = labelBytes.get(label);
  if (bytes === undefined) {
    if (typeof label !== 'string') throw new CryptoError('invalid_argument', `label must be a string, got ${typeof label}`);
    bytes = utf8(MLS_PREFIX + label);
    if (labelBytes.size < 1024) labelBytes.set(label, bytes);
  }
  return bytes;
}

/** RefHash(label, value) = Hash(opaque label<V> || opaque value<V>); the label gets no "MLS 1.0 " prefix. */
export function refHash(cs: CipherSuite, label: string, value: Uint8Array): Uint8Array {
  return cs.hash(new Writer(value.length + label.length + 8).opaque(utf8(label)).opaque(value).finish());
}

// KDFLabel starts with uint16 length || opaque label<V>; for the few (label, length) pairs in use
// that prefix is encoded once, so a derivation only appends the context (the secret tree and
// sender data derive five of these per message).
const kdfLabelPrefixes = new Map<string, Map<number, Uint8Array>>();
function kdfLabelPrefix(label: string, length: number): Uint8Array {
  let byLength = kdfLabelPrefixes.get(label);
  let prefix = byLength?.get(length);
  if (prefix === undefined) {
    const name = mlsLabel(label);
    prefix = new Writer(name.length + 8).u16(length).opaque(name).finish();
    if (byLength === undefined && kdfLabelPrefixes.size < 1024) {
      byLength = new Map();
      kdfLabelPrefixes.set(label, byLength);
    }
    if (byLength !== undefined && byLength.size < 64) byLength.set(length, prefix);
  }
  return prefix;
}

/** ExpandWithLabel(secret, label, context, length) = HKDF-Expand(secret, KDFLabel, length). */
export function expandWithLabel(cs: CipherSuite, secret: Uint8Array, label: string, context: Uint8Array, length: number): Uint8Array {
  if (!Number.isInteger(length) || length < 0 || length > 0xffff) {
    throw new CryptoError('invalid_length', `ExpandWithLabel length must be a uint16, got ${length}`);
  }
  const prefix = kdfLabelPrefix(label, length);
  const header = context.length < 64 ? null : encodeVarint(context.length);
  const headerLength = header === null ? 1 : header.length;
  const kdfLabel = new Uint8Array(prefix.length + headerLength + context.length);
  kdfLabel.set(prefix);
  if (header === null) kdfLabel[prefix.length] = context.length; // a one-byte varint is the value itself
  else kdfLabel.set(header, prefix.length);
  kdfLabel.set(context, prefix.length + headerLength);
  return cs.kdfExpand(secret, kdfLabel, length);
}

/** DeriveSecret(secret, label) = ExpandWithLabel(secret, label, "", Nh). */
export function deriveSecret(cs: CipherSuite, secret: Uint8Array, label: string): Uint8Array {
  return expandWithLabel(cs, secret, label, EMPTY, cs.Nh);
}

/** DeriveTreeSecret(secret, label, generation, length) = ExpandWithLabel(secret, label, uint32(generation), length). */
export function deriveTreeSecret(cs: CipherSuite, secret: Uint8Array, label: string, generation: number, length: number): Uint8Array {
  if (!Number.isInteger(generation) || generation < 0 || generation > 0xffffffff) {
    throw new CryptoError('invalid_argument', `generation must be a uint32, got ${generation}`);
  }
  const context = Uint8Array.of(generation >>> 24, (generation >>> 16) & 0xff, (generation >>> 8) & 0xff, generation & 0xff);
  return expandWithLabel(cs, secret, label, context, length);
}

/**
 * SignContent(label, content) = opaque ("MLS 1.0 " + label)<V> || opaque content<V>, with the content
 * given as consecutive byte ranges: written straight into one buffer, so a caller that holds the
 * content in pieces (a cached prefix, received bytes, the GroupContext) never joins them first.
 */
function signContent(label: string, parts: readonly Uint8Array[]): Uint8Array {
  const name = mlsLabel(label);
  let contentLength = 0;
  for (const p of parts) contentLength += p.length;
  const nameHeader = varintSize(name.length);
  const contentHeader = varintSize(contentLength);
  const out = new Uint8Array(nameHeader + name.length + contentHeader + contentLength);
  let o = writeVarintAt(out, 0, name.length, nameHeader);
  out.set(name, o);
  o = writeVarintAt(out, o + name.length, contentLength, contentHeader);
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** SignWithLabel(priv, label, content) = Signature.Sign(priv, SignContent). */
export function signWithLabel(cs: CipherSuite, privateKey: Uint8Array, label: string, content: Uint8Array): Uint8Array {
  return cs.sign(privateKey, signContent(label, [content]));
}

/** SignWithLabel over content given as consecutive byte ranges (equal to signWithLabel of their concatenation). */
export function signWithLabelParts(cs: CipherSuite, privateKey: Uint8Array, label: string, contentParts: readonly Uint8Array[]): Uint8Array {
  return cs.sign(privateKey, signContent(label, contentParts));
}

/** VerifyWithLabel(pub, label, content, signature); false for a wrong signature. */
export function verifyWithLabel(cs: CipherSuite, publicKey: Uint8Array, label: string, content: Uint8Array, signature: Uint8Array): boolean {
  return cs.verify(publicKey, signContent(label, [content]), signature);
}

/** VerifyWithLabel over content given as consecutive byte ranges (equal to verifyWithLabel of their concatenation). */
export function verifyWithLabelParts(cs: CipherSuite, publicKey: Uint8Array, label: string, contentParts: readonly Uint8Array[], signature: Uint8Array): boolean {
  return cs.verify(publicKey, signContent(label, contentParts), signature);
}

/** One VerifyWithLabel for verifyWithLabelBatch. */
export interface LabeledSignatureCheck {
  readonly publicKey: Uint8Array;
  readonly label: string;
  readonly content: Uint8Array;
  readonly signature: Uint8Array;
}

/**
 * VerifyWithLabel over many items at once (the suite's verifyBatch when it has one, else verify in
 * turn): result[i] is item i's verdict, a malformed public key counting as false.
 */
export function verifyWithLabelBatch(cs: CipherSuite, items: readonly LabeledSignatureCheck[]): boolean[] {
  const checks: SignatureCheck[] = items.map((it) => ({ publicKey: it.publicKey, message: signContent(it.label, [it.content]), signature: it.signature }));
  return cs.verifyBatch ? cs.verifyBatch(checks) : verifyEach((pk, m, sig) => cs.verify(pk, m, sig), checks);
}

/** verifyWithLabelBatch started now, finished later (the suite's startVerifyBatch, else verified at finish). */
export function startVerifyWithLabelBatch(cs: CipherSuite, items: readonly LabeledSignatureCheck[]): PendingVerdicts {
  const checks: SignatureCheck[] = items.map((it) => ({ publicKey: it.publicKey, message: signContent(it.label, [it.content]), signature: it.signature }));
  if (cs.startVerifyBatch) return cs.startVerifyBatch(checks);
  return { finish: () => verifyEach((pk, m, sig) => cs.verify(pk, m, sig), checks) };
}

/** EncryptContext(label, context) = opaque ("MLS 1.0 " + label)<V> || opaque context<V>, the HPKE info. */
function encryptContext(label: string, context: Uint8Array): Uint8Array {
  const name = mlsLabel(label);
  return new Writer(name.length + context.length + 8).opaque(name).opaque(context).finish();
}

/** EncryptWithLabel(pub, label, context, plaintext) = HPKE SealBase(pub, EncryptContext, "", plaintext). */
export function encryptWithLabel(cs: CipherSuite, publicKey: Uint8Array, label: string, context: Uint8Array, plaintext: Uint8Array): HpkeCiphertext {
  return cs.hpkeSeal(publicKey, encryptContext(label, context), EMPTY, plaintext);
}

/**
 * EncryptWithLabel(pub, label, context, plaintext) for each recipient, under one EncryptContext:
 * equal to calling encryptWithLabel in turn (same random draws in the same order), but the suite's
 * hpkeSealBatch, when it has one, hashes the context once and runs the encapsulations as a batch.
 */
export function encryptWithLabelBatch(
  cs: CipherSuite,
  label: string,
  context: Uint8Array,
  recipients: readonly { readonly publicKey: Uint8Array; readonly plaintext: Uint8Array }[],
): HpkeCiphertext[] {
  const info = encryptContext(label, context);
  return cs.hpkeSealBatch ? cs.hpkeSealBatch(recipients, info, EMPTY) : recipients.map((r) => cs.hpkeSeal(r.publicKey, info, EMPTY, r.plaintext));
}

/** DecryptWithLabel(priv, label, context, kemOutput, ciphertext) = HPKE OpenBase(...). */
export function decryptWithLabel(
  cs: CipherSuite,
  privateKey: Uint8Array,
  label: string,
  context: Uint8Array,
  kemOutput: Uint8Array,
  ciphertext: Uint8Array,
): Uint8Array {
  return cs.hpkeOpen(privateKey, kemOutput, encryptContext(label, context), EMPTY, ciphertext);
}
