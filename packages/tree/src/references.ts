// RFC 9420 section 5.2: hash-based identifiers. A KeyPackageRef names a KeyPackage (a Welcome's
// EncryptedGroupSecrets.new_member); a ProposalRef names a proposal's AuthenticatedContent.

import type { CipherSuite } from '@weft/crypto';
import { refHash } from '@weft/crypto';

/** KeyPackageRef = RefHash("MLS 1.0 KeyPackage Reference", serialized KeyPackage). */
export function makeKeyPackageRef(cs: CipherSuite, keyPackage: Uint8Array): Uint8Array {
  return refHash(cs, 'MLS 1.0 KeyPackage Reference', keyPackage);
}

/** ProposalRef = RefHash("MLS 1.0 Proposal Reference", serialized AuthenticatedContent). */
export function makeProposalRef(cs: CipherSuite, authenticatedContent: Uint8Array): Uint8Array {
  return refHash(cs, 'MLS 1.0 Proposal Reference', authenticatedContent);
}
