// RFC 9420 section 12.4.3.1, the committer's side, for many new members at once. Each member's
// GroupSecrets are sealed with EncryptWithLabel(init_key, "Welcome", encrypted_group_info, .), whose
// HPKE info (EncryptContext) holds the whole encrypted GroupInfo, ratchet tree included. The info
// is built once here and the same bytes are passed to every seal, instead of once per member.

import { utf8, Writer } from '@weft/codec';
import type { CipherSuite } from '@weft/crypto';
import { deriveWelcomeSecret } from '../keySchedule.ts';
import { computePskSecret } from '../psk.ts';
import { encryptGroupInfo, type WelcomeInput } from '../welcomeSecrets.ts';
import { encodeGroupSecrets, type Welcome } from '../wire/welcome.ts';

const EMPTY = new Uint8Array(0);

/** EncryptContext { opaque label<V> = "MLS 1.0 Welcome"; opaque context<V> = encrypted_group_info } (RFC 9420 section 5.1.3). */
function welcomeEncryptContext(encryptedGroupInfo: Uint8Array): Uint8Array {
  const label = utf8('MLS 1.0 Welcome');
  return new Writer(label.length + encryptedGroupInfo.length + 8).opaque(label).opaque(encryptedGroupInfo).finish();
}

/** Builds the Welcome for the new members of a commit; byte-compatible with createWelcome, cheaper for many members. */
export function createWelcomeForMembers(cs: CipherSuite, input: WelcomeInput): Welcome {
  const welcomeSecret = deriveWelcomeSecret(cs, input.joinerSecret, computePskSecret(cs, input.psks));
  const encryptedGroupInfo = encryptGroupInfo(cs, welcomeSecret, input.groupInfo);
  const info = welcomeEncryptContext(encryptedGroupInfo);
  const psks = input.psks.map((p) => p.id);
  const recipients = input.recipients.map((r) => ({
    publicKey: r.initKey,
    plaintext: encodeGroupSecrets({ joinerSecret: input.joinerSecret, pathSecret: r.pathSecret, psks }),
  }));
  // One batch: the info is hashed once and the node provider spreads the encapsulations over threads.
  const sealed = cs.hpkeSealBatch ? cs.hpkeSealBatch(recipients, info, EMPTY) : recipients.map((r) => cs.hpkeSeal(r.publicKey, info, EMPTY, r.plaintext));
  const secrets = input.recipients.map((r, i) => {
    const s = sealed[i] as { kemOutput: Uint8Array; ciphertext: Uint8Array };
    return { newMember: r.keyPackageRef, encryptedGroupSecrets: { kemOutput: s.kemOutput, ciphertext: s.ciphertext } };
  });
  return { cipherSuite: cs.id, secrets, encryptedGroupInfo };
}
