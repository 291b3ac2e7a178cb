// RFC 9420 section 7.4: path secrets and the node key pairs derived from them.

import { deriveSecret, type CipherSuite, type KeyPair } from '@weft/crypto';

/** node_secret = DeriveSecret(path_secret, "node"); node key pair = KEM.DeriveKeyPair(node_secret). */
export function deriveNodeKeyPair(cs: CipherSuite, pathSecret: Uint8Array): KeyPair {
  return cs.kemDeriveKeyPair(deriveSecret(cs, pathSecret, 'node'));
}

/** path_secret[n+1] = DeriveSecret(path_secret[n], "path"); applied to the root's path secret it gives the commit secret. */
export function deriveNextPathSecret(cs: CipherSuite, pathSecret: Uint8Array): Uint8Array {
  return deriveSecret(cs, pathSecret, 'path');
}

/** KEM.DeriveKeyPair of each ikm as one batch (the node provider computes the public keys on several threads). */
export function deriveKeyPairs(cs: CipherSuite, ikms: readonly Uint8Array[]): KeyPair[] {
  return cs.kemDeriveKeyPairBatch ? cs.kemDeriveKeyPairBatch(ikms) : ikms.map((ikm) => cs.kemDeriveKeyPair(ikm));
}

/** deriveNodeKeyPair of each path secret, as one batch. */
export function deriveNodeKeyPairs(cs: CipherSuite, pathSecrets: readonly Uint8Array[]): KeyPair[] {
  return deriveKeyPairs(cs, pathSecrets.map((ps) => deriveSecret(cs, ps, 'node')));
}
