export type { CipherSuite, CipherSuiteId, HpkeCiphertext, HpkeRecipient, KeyPair, PendingVerdicts, ProviderName, RandomSource, SignatureCheck } from './cipherSuite.ts';
export { CryptoError, type CryptoErrorCode } from './errors.ts';
export {
  refHash,
  expandWithLabel,
  deriveSecret,
  deriveTreeSecret,
  signWithLabel,
  signWithLabelParts,
  verifyWithLabel,
  verifyWithLabelParts,
  verifyWithLabelBatch,
  startVerifyWithLabelBatch,
  type LabeledSignatureCheck,
  encryptWithLabel,
  encryptWithLabelBatch,
  decryptWithLabel,
} from './labels.ts';
export { getCipherSuite, isSuiteSupported, SUPPORTED_SUITES, PROVIDERS } from './registry.ts';
export { clearNodeKeyCaches } from './nodeProvider.ts';
export { setKeyCacheCapacity } from './keyCache.ts';
export { stopCryptoWorkers } from './workerPool.ts';
