export { CodecError, type CodecErrorCode } from './errors.ts';
export { MAX_VARINT, varintSize, encodeVarint, decodeVarint, writeVarintAt } from './varint.ts';
export { Writer, encode, encodeOpaque } from './writer.ts';
export { Reader, decode } from './reader.ts';
export { toHex, fromHex, bytesEqual, compareBytes, concatBytes, utf8 } from './bytes.ts';
