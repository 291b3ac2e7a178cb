// Mutated, truncated and extended request and answer bytes get typed errors only, and change nothing.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesEqual } from '@weft/codec';
import type { CID } from 'multiformats/cid';
import { KeyshareError, answerRequest, createMessageRef, decodeDeviceBinding, decodeKeyshareMessage, encodeKeyshareMessage, receiveReply, requestKeys } from '../src/index.ts';
import { answererDeps, buildWorld, cs, freshAnswerer, freshRequester, requesterDeps, type HeldMessage } from './fixture.ts';

const w = buildWorld();
const T0 = 9_000_000;
const messageOf = (cid: CID): Uint8Array | null => w.messages.get(cid.toString()) ?? null;
const msg = w.fromA[1] as HeldMessage;
const rDeps = requesterDeps(w, w.d);
const opened = requestKeys(rDeps, freshRequester(), { group: w.group, epoch: w.epoch1, sender: 0, wanted: { kind: 'messages', messages: [createMessageRef(cs, msg.cid, msg.bytes)] }, candidates: [w.c.key] }, T0);
const request = (opened.effects[0] as { bytes: Uint8Array }).bytes;
const aDeps = answererDeps(w, w.c);
const answered = answerRequest(aDeps, freshAnswerer(), request, T0);
const answer = answered.reply;

/** Mutations: flip bytes, truncate, append, splice random bytes. */
function mutated(original: Uint8Array): fc.Arbitrary<Uint8Array> {
  const flip = fc.array(fc.tuple(fc.nat(original.length - 1), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }).map((edits) => {
    const out = original.slice();
    for (const [i, x] of edits) out[i] = (out[i] as number) ^ x;
    return out;
  });
  const truncate = fc.nat(original.length - 1).map((n) => original.slice(0, n));
  const append = fc.uint8Array({ minLength: 1, maxLength: 8 }).map((tail) => Uint8Array.from([...original, ...tail]));
  const splice = fc.tuple(fc.nat(original.length - 1), fc.uint8Array({ minLength: 1, maxLength: 16 })).map(([at, ins]) => Uint8Array.from([...original.slice(0, at), ...ins, ...original.slice(at)]));
  return fc.oneof(flip, truncate, append, splice);
}

function typedOrSame(original: Uint8Array, bytes: Uint8Array, f: () => unknown): void {
  try {
    f();
    expect(bytesEqual(bytes, original)).toBe(true);
  } catch (err) {
    if (!(err instanceof KeyshareError)) throw err;
  }
}

describe('fuzz', () => {
  it('mutated requests: the answerer throws KeyshareError and keeps its state', () => {
    const state = freshAnswerer();
    fc.assert(
      fc.property(mutated(request), (bytes) => {
        typedOrSame(request, bytes, () => answerRequest(aDeps, state, bytes, T0));
        expect(state.seen.size).toBe(0);
      }),
      { numRuns: 400 },
    );
  });

  it('mutated answers: the requester throws KeyshareError and keeps its state', () => {
    fc.assert(
      fc.property(mutated(answer), (bytes) => {
        typedOrSame(answer, bytes, () => receiveReply(rDeps, opened.state, bytes, T0 + 1, messageOf));
        expect(opened.state.open.size).toBe(1);
        expect(opened.state.provenance).toHaveLength(0);
      }),
      { numRuns: 400 },
    );
  });

  it('random bytes and mutated bindings get typed errors', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        expect(() => decodeKeyshareMessage(cs, bytes)).toThrow(KeyshareError);
      }),
      { numRuns: 300 },
    );
    const binding = w.d.identity.binding.bytes;
    fc.assert(
      fc.property(mutated(binding), (bytes) => typedOrSame(binding, bytes, () => decodeDeviceBinding(cs, bytes))),
      { numRuns: 300 },
    );
  });

  it('well-signed requests with arbitrary fields: an answer, a withheld reply or a typed error, nothing else', () => {
    fc.assert(
      fc.property(
        fc.record({
          sender: fc.oneof(fc.nat(8), fc.constant(0xffffffff)),
          from: fc.oneof(fc.nat(2000), fc.constant(0xffffffff)),
          span: fc.nat(3000),
          attempt: fc.nat(0xffff),
          expiresIn: fc.integer({ min: -10, max: 2 * 24 * 3600_000 }),
        }),
        ({ sender, from, span, attempt, expiresIn }) => {
          const bytes = encodeKeyshareMessage(cs, w.d.identity.signaturePrivateKey, {
            type: 'request',
            from: w.d.key,
            to: w.c.key,
            group: w.group,
            epoch: w.epoch1,
            id: new Uint8Array(16).fill(1),
            attempt,
            sender,
            wanted: { kind: 'range', from, to: Math.min(0xffffffff, from + span) },
            expires: T0 + expiresIn,
            binding: w.d.identity.binding.bytes,
          });
          try {
            const out = answerRequest(aDeps, freshAnswerer(), bytes, T0);
            expect(['answered', 'withheld']).toContain(out.kind);
          } catch (err) {
            if (!(err instanceof KeyshareError)) throw err;
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('an oversized message is refused before decoding', () => {
    const big = new Uint8Array(64 * 1024 + 1);
    try {
      decodeKeyshareMessage(cs, big);
      throw new Error('accepted');
    } catch (err) {
      expect((err as KeyshareError).code).toBe('oversized');
    }
  });
});
