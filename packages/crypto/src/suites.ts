import type { CipherSuiteId } from './cipherSuite.ts';

/** Static parameters of one MLS cipher suite (RFC 9420 section 17.1, RFC 9180 section 7). */
export interface SuiteParams {
  readonly id: CipherSuiteId;
  readonly name: string;
  readonly kem: 'x25519' | 'p256';
  readonly aead: 'aes-128-gcm' | 'chacha20-poly1305';
  readonly signature: 'ed25519' | 'p256';
  /** RFC 9180 KEM / KDF / AEAD identifiers. */
  readonly kemId: number;
  readonly kdfId: number;
  readonly aeadId: number;
  readonly Nh: number;
  readonly Nk: number;
  readonly Nn: number;
  readonly Nsk: number;
  readonly Npk: number;
  /** Signature private key length (seed or scalar). */
  readonly Nssk: number;
}

/** Parameters of every suite Weft implements. */
export const SUITE_PARAMS: Readonly<Record<CipherSuiteId, SuiteParams>> = {
  1: {
    id: 1,
    name: 'MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519',
    kem: 'x25519',
    aead: 'aes-128-gcm',
    signature: 'ed25519',
    kemId: 0x0020,
    kdfId: 0x0001,
    aeadId: 0x0001,
    Nh: 32,
    Nk: 16,
    Nn: 12,
    Nsk: 32,
    Npk: 32,
    Nssk: 32,
  },
  2: {
    id: 2,
    name: 'MLS_128_DHKEMP256_AES128GCM_SHA256_P256',
    kem: 'p256',
    aead: 'aes-128-gcm',
    signature: 'p256',
    kemId: 0x0010,
    kdfId: 0x0001,
    aeadId: 0x0001,
    Nh: 32,
    Nk: 16,
    Nn: 12,
    Nsk: 32,
    Npk: 65,
    Nssk: 32,
  },
  3: {
    id: 3,
    name: 'MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_Ed25519',
    kem: 'x25519',
    aead: 'chacha20-poly1305',
    signature: 'ed25519',
    kemId: 0x0020,
    kdfId: 0x0001,
    aeadId: 0x0003,
    Nh: 32,
    Nk: 32,
    Nn: 12,
    Nsk: 32,
    Npk: 32,
    Nssk: 32,
  },
};

/** AEAD authentication tag length; 16 for every suite here. */
export const AEAD_TAG_LENGTH = 16;
