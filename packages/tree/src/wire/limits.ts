// Upper bounds on the lengths a peer may claim in RFC 9420 structs. The Reader checks a claimed
// length against these before touching the bytes, so oversized input fails with
// CodecError('overlong') instead of driving huge allocations or long loops.

/** Public keys, KEM outputs (HPKEPublicKey, SignaturePublicKey, kem_output). P-521 needs 133. */
export const MAX_KEY_BYTES = 1024;
/** Signatures (ECDSA DER, EdDSA raw). */
export const MAX_SIGNATURE_BYTES = 1024;
/** Hashes, MACs, references and secrets (parent_hash, confirmation_tag, KeyPackageRef, joiner_secret ...). */
export const MAX_HASH_BYTES = 255;
/** Identifiers: group_id, psk_id, psk_nonce, basic credential identity. */
export const MAX_ID_BYTES = 4096;
/** One X.509 certificate. */
export const MAX_CERT_BYTES = 65_536;
/** Payloads that may carry a whole ratchet tree or application data (extension_data, ciphertexts, lists). */
export const MAX_PAYLOAD_BYTES = 16 * 1024 * 1024;
/** Largest number of leaves a decoded ratchet tree may have (the tree is padded to this width at most). */
export const MAX_LEAVES = 1 << 20;
