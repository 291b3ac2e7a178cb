import { readFileSync } from 'node:fs';
import { CodecError, fromHex } from '@weft/codec';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeCommit,
  decodeGroupSecrets,
  decodeMlsMessage,
  decodeRatchetTreeNodes,
  decodeUpdatePath,
  encodeMlsMessage,
  MlsError,
} from '../src/index.ts';

const vectors = JSON.parse(readFileSync(new URL('../../../vectors/mls/messages.json', import.meta.url), 'utf8')) as Record<string, string>[];
const sample = vectors.slice(0, 6);

type Decoder = (bytes: Uint8Array) => unknown;
const targets: [string, Decoder][] = [];
for (const tc of sample) {
  for (const f of ['mls_welcome', 'mls_group_info', 'mls_key_package', 'public_message_commit', 'public_message_proposal', 'private_message']) {
    targets.push([f, decodeMlsMessage]);
  }
  targets.push(['ratchet_tree', decodeRatchetTreeNodes], ['commit', decodeCommit], ['group_secrets', decodeGroupSecrets]);
}
const inputs = sample.flatMap((tc) => targets.map(([f, d]) => [fromHex(tc[f] ?? ''), d] as const));

/** Decodes, accepting success or a typed error; anything else (TypeError, RangeError) fails the property. */
function decodesOrFailsTyped(decodeFn: Decoder, bytes: Uint8Array): boolean {
  try {
    decodeFn(bytes);
    return true;
  } catch (err) {
    return err instanceof CodecError || err instanceof MlsError;
  }
}

describe('wire structs reject malformed input with typed errors', () => {
  it('truncated encodings throw CodecError', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: inputs.length - 1 }), fc.double({ min: 0, max: 1, noNaN: true }), (k, frac) => {
        const [bytes, d] = inputs[k]!;
        const cut = Math.floor(frac * bytes.length);
        if (cut >= bytes.length) return true;
        try {
          d(bytes.subarray(0, cut));
          return false;
        } catch (err) {
          return err instanceof CodecError;
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('mutated encodings decode or throw typed errors, never TypeError/RangeError', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: inputs.length - 1 }),
        fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
        (k, edits) => {
          const [orig, d] = inputs[k]!;
          const bytes = orig.slice();
          for (const [pos, val] of edits) bytes[Math.min(bytes.length - 1, Math.floor(pos * bytes.length))] = val;
          return decodesOrFailsTyped(d, bytes);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('appended bytes are trailing_bytes, unknown enum values are invalid_value, huge lengths are overlong', () => {
    const kp = fromHex(vectors[0]!.mls_key_package!);
    expect(() => decodeMlsMessage(Uint8Array.of(...kp, 0))).toThrow(expect.objectContaining({ code: 'trailing_bytes' }));
    const badWire = kp.slice();
    badWire[3] = 9; // wire_format 9 does not exist
    expect(() => decodeMlsMessage(badWire)).toThrow(expect.objectContaining({ code: 'invalid_value' }));
    const badVersion = kp.slice();
    badVersion[1] = 2;
    expect(() => decodeMlsMessage(badVersion)).toThrow(expect.objectContaining({ code: 'invalid_value' }));
    // An UpdatePath whose encryption_key claims 2^30-1 bytes.
    expect(() => decodeUpdatePath(Uint8Array.of(0xbf, 0xff, 0xff, 0xff))).toThrow(expect.objectContaining({ code: 'overlong' }));
  });

  it('decode then encode gives the same bytes', () => {
    for (const tc of sample) {
      const bytes = fromHex(tc.mls_welcome!);
      expect(encodeMlsMessage(decodeMlsMessage(bytes))).toEqual(bytes);
    }
  });
});
