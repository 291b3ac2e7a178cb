// A device's long-term keys: the signature key it signs MLS leaves, DAG events and keyshare
// messages with (its device key, the name membership is checked under), and an HPKE key that
// keyshare answers are encrypted to. The binding signs the two together; it is published alongside
// the device's KeyPackages and travels inside each request, so an answerer needs nothing else to
// encrypt to the requester.
import type { CipherSuite, CipherSuiteId } from '@weft/crypto';
import { signWithLabel, verifyWithLabel } from '@weft/crypto';
import { bytesEqual } from '@weft/codec';
import type { KeyPackage } from '@weft/tree';
import { decodeCborMap, encodeCbor, FieldReader, sliceWithoutKey } from './cbor.ts';
import { KeyshareError } from './errors.ts';

const BINDING_LABEL = 'weft device binding v1';
const MAX_BINDING_BYTES = 1024;
const BINDING_KEYS = ['v', 'suite', 'user', 'sigKey', 'hpkeKey', 'created', 'sig'] as const;

/** The signed statement "this signature key and this HPKE key belong to one device of `user`". */
export interface DeviceBinding {
  readonly suite: CipherSuiteId;
  /** The user's identity (the MLS credential identity). */
  readonly user: Uint8Array;
  /** The device key: its long-term signature public key. */
  readonly sigKey: Uint8Array;
  /** The device's HPKE public key, for keyshare answers. */
  readonly hpkeKey: Uint8Array;
  /** When the binding was made (ms, passed in). */
  readonly created: number;
  readonly sig: Uint8Array;
  /** The canonical encoding (what is published). */
  readonly bytes: Uint8Array;
}

/** A device's private keys and its published binding. */
export interface DeviceIdentity {
  readonly cs: CipherSuite;
  readonly signaturePrivateKey: Uint8Array;
  readonly hpkePrivateKey: Uint8Array;
  readonly binding: DeviceBinding;
}

/** Options of createDeviceIdentity. */
export interface DeviceIdentityOptions {
  readonly user: Uint8Array;
  /** Creation time in ms (no wall clock inside). */
  readonly created: number;
  /** Reuse an existing signature key (the one the device's KeyPackages are signed with). */
  readonly signaturePrivateKey?: Uint8Array;
  /** Reuse an existing HPKE private key. */
  readonly hpkePrivateKey?: Uint8Array;
}

/** Creates a device identity (fresh keys from the suite's random source unless given) and signs its binding. */
export function createDeviceIdentity(cs: CipherSuite, options: DeviceIdentityOptions): DeviceIdentity {
  const signaturePrivateKey = options.signaturePrivateKey ?? cs.signatureGenerateKeyPair().privateKey;
  const hpkePrivateKey = options.hpkePrivateKey ?? cs.kemGenerateKeyPair().privateKey;
  const unsigned = {
    v: 1,
    suite: cs.id,
    user: options.user,
    sigKey: cs.signaturePublicKey(signaturePrivateKey),
    hpkeKey: cs.kemPublicKey(hpkePrivateKey),
    created: options.created,
  };
  const sig = signWithLabel(cs, signaturePrivateKey, BINDING_LABEL, encodeCbor(unsigned));
  const bytes = encodeCbor({ ...unsigned, sig });
  return { cs, signaturePrivateKey, hpkePrivateKey, binding: { ...unsigned, suite: cs.id, sig, bytes } };
}

/** Strictly decodes a binding and verifies its signature under its own sigKey; throws KeyshareError. */
export function decodeDeviceBinding(cs: CipherSuite, bytes: Uint8Array): DeviceBinding {
  const r = new FieldReader(decodeCborMap(bytes, MAX_BINDING_BYTES, 'device binding'), 'device binding').onlyKeys(BINDING_KEYS);
  if (r.uint('v', 0xffff) !== 1) throw new KeyshareError('unsupported_version', 'device binding version must be 1');
  const suite = r.uint('suite', 0xffff);
  if (suite !== cs.id) throw new KeyshareError('bad_binding', `device binding is for suite ${suite}, not ${cs.id}`);
  const binding: DeviceBinding = {
    suite: cs.id,
    user: r.bytes('user', 0, 255),
    sigKey: r.bytes('sigKey', 1, 255),
    hpkeKey: r.bytes('hpkeKey', cs.Npk, cs.Npk),
    created: r.uint('created', Number.MAX_SAFE_INTEGER),
    sig: r.bytes('sig', 1, 255),
    bytes,
  };
  const { sig, bytes: _b, ...unsigned } = binding;
  let ok = false;
  try {
    ok = verifyWithLabel(cs, binding.sigKey, BINDING_LABEL, sliceWithoutKey(bytes, 'sig') ?? encodeCbor({ v: 1, ...unsigned }), sig);
  } catch {
    ok = false; // a malformed key is as bad as a wrong signature
  }
  if (!ok) throw new KeyshareError('bad_binding', 'device binding signature does not verify');
  return binding;
}

/**
 * Checks that a binding published alongside a KeyPackage belongs to it: the same signature key,
 * and for a basic credential the same user identity. Throws KeyshareError('bad_binding').
 */
export function checkBindingForKeyPackage(binding: DeviceBinding, keyPackage: KeyPackage): void {
  const leaf = keyPackage.leafNode;
  if (!bytesEqual(leaf.signatureKey, binding.sigKey)) throw new KeyshareError('bad_binding', 'the binding is for another signature key than the KeyPackage');
  if (leaf.credential.credentialType === 'basic' && !bytesEqual(leaf.credential.identity, binding.user)) {
    throw new KeyshareError('bad_binding', 'the binding names another user than the KeyPackage credential');
  }
}
