import { getCipherSuite, isSuiteSupported } from '@weft/crypto';
import type { CipherSuiteId, ProviderName } from '@weft/crypto';
import type { SuiteResolver } from './event.ts';

/** Suite resolver backed by `@weft/crypto`: the genesis `suite` id on the given provider. */
export function createSuiteResolver(provider: ProviderName = 'node'): SuiteResolver {
  return (id) => (isSuiteSupported(id, provider) ? getCipherSuite(id as CipherSuiteId, provider) : undefined);
}
