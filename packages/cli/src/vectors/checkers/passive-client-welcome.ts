import { fromHex, toHex } from '@weft/codec';
import type { CipherSuite } from '@weft/crypto';
import { decodeMlsMessage, getEpochAuthenticator, joinFromWelcome, processCommit, type GroupState } from '@weft/tree';
import { expectEqual, VectorMismatch, type VectorChecker, type VectorCase } from '../checker.ts';

interface PassiveEpoch {
  readonly proposals: readonly string[];
  readonly commit: string;
  readonly epoch_authenticator: string;
}

/**
 * The passive-client vectors (RFC 9420 sections 12.4.2 and 12.4.3.1): join from the Welcome with
 * the optional external tree and external PSKs, compare the epoch authenticator, then apply each
 * epoch's commit (its proposals by reference from `proposals`) and compare again.
 */
export function checkPassiveClient(tc: VectorCase, cs: CipherSuite | null): void {
  if (!cs) throw new VectorMismatch('needs a cipher suite');
  const kpMsg = decodeMlsMessage(fromHex(String(tc.key_package)));
  if (kpMsg.wireFormat !== 'key_package') throw new VectorMismatch('key_package is not an MLSMessage KeyPackage');
  const psks = (tc.external_psks as { psk_id: string; psk: string }[] | undefined) ?? [];
  const tree = tc.ratchet_tree;
  let state: GroupState = joinFromWelcome(
    cs,
    fromHex(String(tc.welcome)),
    {
      keyPackage: kpMsg.keyPackage,
      privateKeys: {
        initPrivateKey: fromHex(String(tc.init_priv)),
        encryptionPrivateKey: fromHex(String(tc.encryption_priv)),
        signaturePrivateKey: fromHex(String(tc.signature_priv)),
      },
    },
    {
      ...(typeof tree === 'string' ? { ratchetTree: fromHex(tree) } : {}),
      externalPsks: psks.map((p) => ({ id: fromHex(p.psk_id), secret: fromHex(p.psk) })),
    },
  );
  expectEqual('initial_epoch_authenticator', toHex(getEpochAuthenticator(state)), String(tc.initial_epoch_authenticator));
  const epochs = (tc.epochs as PassiveEpoch[] | undefined) ?? [];
  epochs.forEach((e, i) => {
    const out = processCommit(state, fromHex(e.commit), { proposals: e.proposals.map((p) => fromHex(p)) });
    if (out.kind !== 'next_epoch') throw new VectorMismatch(`epoch ${i}: the commit removed the passive client`);
    state = out.state;
    expectEqual(`epoch ${i} epoch_authenticator`, toHex(getEpochAuthenticator(state)), e.epoch_authenticator);
  });
}

/** passive-client-welcome.json: join only (with and without an external tree, with and without a PSK). */
export const checker: VectorChecker = {
  file: 'passive-client-welcome.json',
  usesProvider: true,
  suiteOf: (tc) => Number(tc.cipher_suite),
  check: checkPassiveClient,
};
