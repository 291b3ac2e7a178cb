import { decodeVarint, encodeVarint, fromHex, toHex } from '@weft/codec';
import { expectEqual, type VectorChecker, type VectorCase } from '../checker.ts';

/** RFC 9420 section 2.1.2 varint headers against deserialization.json. */
export const checker: VectorChecker = {
  file: 'deserialization.json',
  usesProvider: false,
  suiteOf: () => null,
  check(tc: VectorCase): void {
    const header = fromHex(String(tc.vlbytes_header));
    const { value, size } = decodeVarint(header);
    expectEqual('length', value, tc.length);
    expectEqual('header size', size, header.length);
    expectEqual('re-encoded header', toHex(encodeVarint(value)), String(tc.vlbytes_header));
  },
};
