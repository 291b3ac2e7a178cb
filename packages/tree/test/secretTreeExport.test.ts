// exportSenderRatchet / importSenderRatchet: one sender's ratchet from a generation on, exported
// without consuming anything, decrypts exactly that sender's keys from that generation and nothing
// of other senders, other ratchet types or earlier generations.
import { getCipherSuite } from '@weft/crypto';
import { toHex } from '@weft/codec';
import { describe, expect, it } from 'vitest';
import {
  MlsError,
  consumeKey,
  createSecretTree,
  exportSenderRatchet,
  importSenderRatchet,
  summarizeSecretTree,
  type LeafIndex,
  type MlsErrorCode,
  type SecretTree,
} from '../src/index.ts';

const cs = getCipherSuite(1, 'node');
const L = (n: number): LeafIndex => n as LeafIndex;

function codeOf(f: () => unknown): MlsErrorCode | null {
  try {
    f();
    return null;
  } catch (err) {
    expect(err).toBeInstanceOf(MlsError);
    return (err as MlsError).code;
  }
}

function keyHex(tree: SecretTree, leaf: number, generation: number): string {
  return toHex(consumeKey(cs, tree, L(leaf), 'application', generation).key.key);
}

describe('exportSenderRatchet / importSenderRatchet', () => {
  const full = createSecretTree(new Uint8Array(32).fill(7), 5);

  it('exports from an underived tree without changing it, and the import decrypts g, g+1, ... of that sender only', () => {
    const before = summarizeSecretTree(full);
    const exported = exportSenderRatchet(cs, full, L(3), 'application', 4);
    expect(summarizeSecretTree(full)).toEqual(before);
    expect(exported).toMatchObject({ leaf: 3, type: 'application', generation: 4, next: 4, keys: [] });
    const view = importSenderRatchet(exported, 5);
    for (const g of [4, 5, 9]) expect(keyHex(view, 3, g)).toBe(keyHex(full, 3, g));
    expect(codeOf(() => consumeKey(cs, view, L(3), 'application', 3))).toBe('generation_too_old');
    for (const other of [0, 1, 2, 4]) expect(codeOf(() => consumeKey(cs, view, L(other), 'application', 4))).toBe('unknown_sender_leaf');
    expect(codeOf(() => consumeKey(cs, view, L(3), 'handshake', 4))).toBe('generation_too_old');
    expect(summarizeSecretTree(view).subtreeSecrets).toBe(0);
  });

  it('exports from a ratchet that has moved on: held skipped keys plus the current secret, never a used key', () => {
    let t = full;
    t = consumeKey(cs, t, L(1), 'application', 6).tree; // skips 0..5 and uses 6
    t = consumeKey(cs, t, L(1), 'application', 3).tree; // uses 3
    const exported = exportSenderRatchet(cs, t, L(1), 'application', 2);
    expect(exported.next).toBe(7);
    expect(exported.keys.map((k) => k.generation)).toEqual([2, 4, 5]);
    const view = importSenderRatchet(exported, 5);
    for (const g of [2, 4, 5, 7, 8]) expect(keyHex(view, 1, g)).toBe(keyHex(full, 1, g));
    expect(codeOf(() => consumeKey(cs, view, L(1), 'application', 3))).toBe('generation_already_used');
    expect(codeOf(() => consumeKey(cs, view, L(1), 'application', 6))).toBe('generation_already_used');
    expect(codeOf(() => consumeKey(cs, view, L(1), 'application', 1))).toBe('generation_too_old');
  });

  it('exports forward of a derived ratchet, and refuses what is too far ahead or no longer held', () => {
    const t = consumeKey(cs, full, L(0), 'application', 0).tree;
    const exported = exportSenderRatchet(cs, t, L(0), 'application', 10);
    expect(keyHex(importSenderRatchet(exported, 5), 0, 10)).toBe(keyHex(full, 0, 10));
    expect(codeOf(() => exportSenderRatchet(cs, t, L(0), 'application', 5000))).toBe('generation_too_far_ahead');
    expect(codeOf(() => exportSenderRatchet(cs, t, L(9), 'application', 0))).toBe('unknown_sender_leaf');
    expect(codeOf(() => exportSenderRatchet(cs, t, L(0), 'application', -1))).toBe('invalid_generation');
    // Generation 0 was used and nothing below next is held: only the secret of next (1) on can go.
    const fromZero = exportSenderRatchet(cs, t, L(0), 'application', 0);
    expect(fromZero.next).toBe(1);
    expect(fromZero.keys).toEqual([]);
  });

  it('an import cannot be exported again for another sender', () => {
    const view = importSenderRatchet(exportSenderRatchet(cs, full, L(2), 'application', 0), 5);
    expect(codeOf(() => exportSenderRatchet(cs, view, L(1), 'application', 0))).toBe('unknown_sender_leaf');
    expect(keyHex(importSenderRatchet(exportSenderRatchet(cs, view, L(2), 'application', 1), 5), 2, 1)).toBe(keyHex(full, 2, 1));
  });
});
