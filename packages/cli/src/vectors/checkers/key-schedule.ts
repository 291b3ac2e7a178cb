import { fromHex, toHex } from '@weft/codec';
import type { CipherSuite } from '@weft/crypto';
import { deriveExternalKeyPair, encodeGroupContext, exportSecret, runKeySchedule } from '@weft/tree';
import { expectEqual, VectorMismatch, type VectorChecker, type VectorCase } from '../checker.ts';

interface EpochCase {
  tree_hash: string;
  commit_secret: string;
  psk_secret: string;
  confirmed_transcript_hash: string;
  group_context: string;
  joiner_secret: string;
  welcome_secret: string;
  init_secret: string;
  sender_data_secret: string;
  encryption_secret: string;
  exporter_secret: string;
  epoch_authenticator: string;
  external_secret: string;
  confirmation_key: string;
  membership_key: string;
  resumption_psk: string;
  external_pub: string;
  exporter: { label: string; context: string; length: number; secret: string };
}

/** RFC 9420 section 8 key schedule over 5 chained epochs, against key-schedule.json. */
export const checker: VectorChecker = {
  file: 'key-schedule.json',
  usesProvider: true,
  suiteOf: (tc) => Number(tc.cipher_suite),
  check(tc: VectorCase, cs: CipherSuite | null): void {
    if (!cs) throw new VectorMismatch('needs a cipher suite');
    const groupId = fromHex(String(tc.group_id));
    let initSecret = fromHex(String(tc.initial_init_secret));
    const epochs = tc.epochs as EpochCase[];
    epochs.forEach((e, i) => {
      const at = `epoch ${i}`;
      const gc = encodeGroupContext({
        cipherSuite: cs.id,
        groupId,
        epoch: BigInt(i),
        treeHash: fromHex(e.tree_hash),
        confirmedTranscriptHash: fromHex(e.confirmed_transcript_hash),
        extensions: [],
      });
      expectEqual(`${at} group_context`, toHex(gc), e.group_context);
      const s = runKeySchedule(cs, { initSecret, commitSecret: fromHex(e.commit_secret), pskSecret: fromHex(e.psk_secret), groupContext: gc });
      expectEqual(`${at} joiner_secret`, toHex(s.joinerSecret), e.joiner_secret);
      expectEqual(`${at} welcome_secret`, toHex(s.welcomeSecret), e.welcome_secret);
      expectEqual(`${at} init_secret`, toHex(s.initSecret), e.init_secret);
      expectEqual(`${at} sender_data_secret`, toHex(s.senderDataSecret), e.sender_data_secret);
      expectEqual(`${at} encryption_secret`, toHex(s.encryptionSecret), e.encryption_secret);
      expectEqual(`${at} exporter_secret`, toHex(s.exporterSecret), e.exporter_secret);
      expectEqual(`${at} epoch_authenticator`, toHex(s.epochAuthenticator), e.epoch_authenticator);
      expectEqual(`${at} external_secret`, toHex(s.externalSecret), e.external_secret);
      expectEqual(`${at} confirmation_key`, toHex(s.confirmationKey), e.confirmation_key);
      expectEqual(`${at} membership_key`, toHex(s.membershipKey), e.membership_key);
      expectEqual(`${at} resumption_psk`, toHex(s.resumptionPsk), e.resumption_psk);
      expectEqual(`${at} external_pub`, toHex(deriveExternalKeyPair(cs, s.externalSecret).publicKey), e.external_pub);
      // The exporter label is used verbatim as a string even though it looks like hex (FORMATS.md).
      const exported = exportSecret(cs, s.exporterSecret, e.exporter.label, fromHex(e.exporter.context), e.exporter.length);
      expectEqual(`${at} exporter.secret`, toHex(exported), e.exporter.secret);
      initSecret = s.initSecret;
    });
  },
};
