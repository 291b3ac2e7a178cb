import type { CipherSuite, CipherSuiteId, ProviderName, RandomSource } from './cipherSuite.ts';
import { CryptoError } from './errors.ts';
import { createNoblePrimitives } from './nobleProvider.ts';
import { createNodePrimitives } from './nodeProvider.ts';
import { assembleSuite } from './suite.ts';
import { SUITE_PARAMS } from './suites.ts';

/** Cipher suites implemented by every provider. */
export const SUPPORTED_SUITES: readonly CipherSuiteId[] = [1, 2, 3];

/** Provider names, default first. */
export const PROVIDERS: readonly ProviderName[] = ['node', 'noble'];

const cache = new Map<string, CipherSuite>();

/** True when `id` is a suite that `provider` implements. */
export function isSuiteSupported(id: number, provider: ProviderName): boolean {
  return (SUPPORTED_SUITES as readonly number[]).includes(id) && PROVIDERS.includes(provider);
}

/**
 * The cipher suite `id` on `provider`. Instances are shared per (id, provider) unless a custom
 * random source is given. Throws CryptoError('unsupported_suite') for suites 4-7 and unknown ids.
 */
export function getCipherSuite(id: CipherSuiteId, provider: ProviderName = 'node', options?: { random?: RandomSource }): CipherSuite {
  if (!isSuiteSupported(id, provider)) {
    if (!PROVIDERS.includes(provider)) {
      throw new CryptoError('unsupported_suite', `unknown crypto provider "${String(provider)}"; known: ${PROVIDERS.join(', ')}`);
    }
    throw new CryptoError(
      'unsupported_suite',
      `cipher suite ${String(id)} is not supported; Weft implements suites ${SUPPORTED_SUITES.join(', ')} (RFC 9420 section 17.1)`,
    );
  }
  const random = options?.random;
  const key = `${id}/${provider}`;
  if (random === undefined) {
    const hit = cache.get(key);
    if (hit !== undefined) return hit;
  }
  const params = SUITE_PARAMS[id];
  const primitives = provider === 'node' ? createNodePrimitives(params, random) : createNoblePrimitives(params, random);
  const suite = assembleSuite(primitives, provider);
  if (random === undefined) cache.set(key, suite);
  return suite;
}
