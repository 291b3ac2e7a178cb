import { fromHex, toHex } from '@weft/codec';
import type { CipherSuite } from '@weft/crypto';
import { createWelcome, decodeMlsMessage, encodeKeyPackage, encodeMlsMessage, makeKeyPackageRef, openWelcome, type Welcome, type WelcomeKeys } from '@weft/tree';
import { expectEqual, VectorMismatch, type VectorChecker, type VectorCase } from '../checker.ts';

/** RFC 9420 section 12.4.3 Welcome processing (and re-creation), against welcome.json. */
export const checker: VectorChecker = {
  file: 'welcome.json',
  usesProvider: true,
  suiteOf: (tc) => Number(tc.cipher_suite),
  check(tc: VectorCase, cs: CipherSuite | null): void {
    if (!cs) throw new VectorMismatch('needs a cipher suite');
    const kpMsg = decodeMlsMessage(fromHex(String(tc.key_package)));
    if (kpMsg.wireFormat !== 'key_package') throw new VectorMismatch('key_package is not an MLSMessage KeyPackage');
    const welcomeMsg = decodeMlsMessage(fromHex(String(tc.welcome)));
    if (welcomeMsg.wireFormat !== 'welcome') throw new VectorMismatch('welcome is not an MLSMessage Welcome');
    const initPrivateKey = fromHex(String(tc.init_priv));
    expectEqual('init_priv matches the KeyPackage init_key', toHex(cs.kemPublicKey(initPrivateKey)), toHex(kpMsg.keyPackage.initKey));
    const signerPub = fromHex(String(tc.signer_pub));
    const keys: WelcomeKeys = {
      keyPackageRef: makeKeyPackageRef(cs, encodeKeyPackage(kpMsg.keyPackage)),
      initPrivateKey,
      signerPublicKey: () => signerPub,
    };
    const opened = openWelcome(cs, welcomeMsg.welcome, keys);
    expectEqual('GroupSecrets psks', opened.groupSecrets.psks.length, 0);

    // The committer's side: rebuild a Welcome for the same joiner and open it again.
    const rebuilt = createWelcome(cs, {
      groupInfo: opened.groupInfo,
      joinerSecret: opened.groupSecrets.joinerSecret,
      psks: [],
      recipients: [{ keyPackageRef: keys.keyPackageRef, initKey: kpMsg.keyPackage.initKey, pathSecret: opened.groupSecrets.pathSecret }],
    });
    const again = openWelcome(cs, decodeWelcomeRoundTrip(rebuilt), keys);
    expectEqual('rebuilt epoch_authenticator', toHex(again.epochSecrets.epochAuthenticator), toHex(opened.epochSecrets.epochAuthenticator));
  },
};

/** The Welcome after an MLSMessage encode/decode round trip. */
function decodeWelcomeRoundTrip(w: Welcome): Welcome {
  const m = decodeMlsMessage(encodeMlsMessage({ wireFormat: 'welcome', welcome: w }));
  if (m.wireFormat !== 'welcome') throw new VectorMismatch('round-trip lost the Welcome');
  return m.welcome;
}
