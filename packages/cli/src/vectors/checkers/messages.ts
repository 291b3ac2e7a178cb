import { decode, encode, fromHex, toHex, type Reader, type Writer } from '@weft/codec';
import {
  decodeMlsMessage,
  encodeMlsMessage,
  readCommit,
  readGroupSecrets,
  readRatchetTreeNodes,
  writeCommit,
  writeGroupSecrets,
  writeRatchetTreeNodes,
  readAdd,
  readExternalInit,
  readGroupContextExtensions,
  readPreSharedKey,
  readReInit,
  readRemove,
  readUpdate,
  writeAdd,
  writeExternalInit,
  writeGroupContextExtensions,
  writePreSharedKey,
  writeReInit,
  writeRemove,
  writeUpdate,
} from '@weft/tree';
import { expectEqual, VectorMismatch, type VectorCase, type VectorChecker } from '../checker.ts';

/** Decodes and re-encodes with a reader/writer pair; the bytes must come back unchanged. */
function roundTrip<T>(name: string, hex: unknown, read: (r: Reader) => T, write: (w: Writer, v: T) => void): void {
  if (typeof hex !== 'string') throw new VectorMismatch(`${name}: missing`);
  const value = decode(fromHex(hex), read);
  expectEqual(name, toHex(encode((w) => write(w, value))), hex);
}

/** The MLSMessage fields must carry the expected wire format, so a wrong selector is noticed. */
function roundTripMessage(name: string, hex: unknown, wireFormat: string): void {
  if (typeof hex !== 'string') throw new VectorMismatch(`${name}: missing`);
  const m = decodeMlsMessage(fromHex(hex));
  expectEqual(`${name} wire_format`, m.wireFormat, wireFormat);
  expectEqual(name, toHex(encodeMlsMessage(m)), hex);
}

/** Suite of a case: the cipher_suite of its embedded KeyPackage. */
function suiteOf(tc: VectorCase): number | null {
  if (typeof tc.mls_key_package !== 'string') return null;
  const m = decodeMlsMessage(fromHex(tc.mls_key_package));
  return m.wireFormat === 'key_package' ? m.keyPackage.cipherSuite : null;
}

/** Strict decode and identical re-encode of every RFC 9420 struct in messages.json. */
export const checker: VectorChecker = {
  file: 'messages.json',
  usesProvider: false,
  suiteOf,
  check(tc: VectorCase): void {
    roundTripMessage('mls_welcome', tc.mls_welcome, 'welcome');
    roundTripMessage('mls_group_info', tc.mls_group_info, 'group_info');
    roundTripMessage('mls_key_package', tc.mls_key_package, 'key_package');
    roundTrip('ratchet_tree', tc.ratchet_tree, readRatchetTreeNodes, writeRatchetTreeNodes);
    roundTrip('group_secrets', tc.group_secrets, readGroupSecrets, writeGroupSecrets);
    roundTrip('add_proposal', tc.add_proposal, readAdd, writeAdd);
    roundTrip('update_proposal', tc.update_proposal, readUpdate, writeUpdate);
    roundTrip('remove_proposal', tc.remove_proposal, readRemove, writeRemove);
    roundTrip('pre_shared_key_proposal', tc.pre_shared_key_proposal, readPreSharedKey, writePreSharedKey);
    roundTrip('re_init_proposal', tc.re_init_proposal, readReInit, writeReInit);
    roundTrip('external_init_proposal', tc.external_init_proposal, readExternalInit, writeExternalInit);
    roundTrip('group_context_extensions_proposal', tc.group_context_extensions_proposal, readGroupContextExtensions, writeGroupContextExtensions);
    roundTrip('commit', tc.commit, readCommit, writeCommit);
    roundTripMessage('public_message_application', tc.public_message_application, 'public_message');
    roundTripMessage('public_message_proposal', tc.public_message_proposal, 'public_message');
    roundTripMessage('public_message_commit', tc.public_message_commit, 'public_message');
    roundTripMessage('private_message', tc.private_message, 'private_message');
  },
};
