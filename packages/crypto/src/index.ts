export type { CipherSuite, CipherSuiteId, HpkeCiphertext, KeyPair, ProviderName, RandomSource } from './cipherSuite.ts';
export { CryptoError, type CryptoErrorCode } from './errors.ts';
export {
  refHash,
  expandWithLabel,
  deriveSecret,
  deriveTreeSecret,
  signWithLabel,
  verifyWithLabel,
  encryptWithLabel,
  decryptWithLabel,
} from './labels.ts';
export { getCipherSuite, isSuiteSupported, SUPPORTED_SUITES, PROVIDERS } from './registry.ts';
export { clearNodeKeyCaches } from './nodeProvider.ts';
export { setKeyCacheCapacity } from './keyCache.ts';
