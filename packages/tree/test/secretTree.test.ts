import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { getCipherSuite } from '@weft/crypto';
import { toHex } from '@weft/codec';
import { MlsError, consumeKey, consumeNextKey, createSecretTree, findRatchet, leafIndex, summarizeSecretTree, type SecretTree } from '../src/index.ts';
import { codeOf } from './support/codeOf.ts';

const cs = getCipherSuite(1, 'node');
const secret = new Uint8Array(32).fill(7);


describe('secret tree (RFC 9420 section 9)', () => {
  it('derives the same keys in order and out of order within the window', () => {
    fc.assert(
      fc.property(fc.shuffledSubarray([...Array(40).keys()], { minLength: 1 }), (gens) => {
        let inOrder = createSecretTree(secret, 4);
        const expected = new Map<number, string>();
        for (let g = 0; g < 40; g++) {
          const c = consumeNextKey(cs, inOrder, leafIndex(2), 'application');
          inOrder = c.tree;
          expected.set(g, toHex(c.key.key) + toHex(c.key.nonce));
        }
        let tree = createSecretTree(secret, 4);
        for (const g of gens) {
          const c = consumeKey(cs, tree, leafIndex(2), 'application', g);
          tree = c.tree;
          expect(c.key.generation).toBe(g);
          expect(toHex(c.key.key) + toHex(c.key.nonce)).toBe(expected.get(g));
        }
      }),
      { numRuns: 30 },
    );
  });

  it('rejects a replayed generation with generation_already_used and leaves the tree as it was', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 60 }), { minLength: 1, maxLength: 20 }), (gens) => {
        let tree = createSecretTree(secret, 8);
        const used = new Set<number>();
        for (const g of gens) {
          if (used.has(g)) {
            const before = tree;
            expect(codeOf(() => consumeKey(cs, tree, leafIndex(5), 'handshake', g))).toBe('generation_already_used');
            expect(tree).toBe(before);
          } else {
            tree = consumeKey(cs, tree, leafIndex(5), 'handshake', g).tree;
            used.add(g);
          }
        }
      }),
      { numRuns: 30 },
    );
  });

  it('rejects generations too far ahead and keys evicted from the skipped cache', () => {
    let tree = createSecretTree(secret, 2, { maxForwardDistance: 10, maxSkippedKeys: 3 });
    expect(codeOf(() => consumeKey(cs, tree, leafIndex(0), 'application', 11))).toBe('generation_too_far_ahead');
    tree = consumeKey(cs, tree, leafIndex(0), 'application', 10).tree;
    expect(findRatchet(tree, leafIndex(0), 'application')?.skipped.map((k) => k.generation)).toEqual([7, 8, 9]);
    expect(codeOf(() => consumeKey(cs, tree, leafIndex(0), 'application', 6))).toBe('generation_too_old');
    expect(codeOf(() => consumeKey(cs, tree, leafIndex(0), 'application', 10))).toBe('generation_already_used');
    tree = consumeKey(cs, tree, leafIndex(0), 'application', 8).tree;
    expect(codeOf(() => consumeKey(cs, tree, leafIndex(0), 'application', 8))).toBe('generation_already_used');
    expect(codeOf(() => consumeKey(cs, tree, leafIndex(2), 'application', 0))).toBe('unknown_sender_leaf');
  });

  it('any sequence of consumes: keys match in-order derivation, each generation opens at most once, errors are typed, caches stay bounded', () => {
    const options = { maxForwardDistance: 15, maxSkippedKeys: 5 };
    const reference = new Map<string, string>();
    for (const leaf of [0, 1, 2, 3]) {
      for (const type of ['handshake', 'application'] as const) {
        let t = createSecretTree(secret, 4);
        for (let g = 0; g < 60; g++) {
          const c = consumeNextKey(cs, t, leafIndex(leaf), type);
          t = c.tree;
          reference.set(`${leaf}/${type}/${g}`, toHex(c.key.key) + toHex(c.key.nonce));
        }
      }
    }
    const op = fc.record({ leaf: fc.nat({ max: 3 }), type: fc.constantFrom('handshake' as const, 'application' as const), gen: fc.nat({ max: 59 }) });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        let tree = createSecretTree(secret, 4, options);
        const opened = new Set<string>();
        for (const o of ops) {
          const id = `${o.leaf}/${o.type}/${o.gen}`;
          let result: ReturnType<typeof consumeKey> | string;
          try {
            result = consumeKey(cs, tree, leafIndex(o.leaf), o.type, o.gen);
          } catch (err) {
            if (!(err instanceof MlsError)) throw err;
            result = err.code;
          }
          if (typeof result === 'string') {
            expect(['generation_too_far_ahead', 'generation_too_old', 'generation_already_used']).toContain(result);
            // A used generation is reported as used, or as too old once the window has moved past it.
            if (opened.has(id)) expect(['generation_already_used', 'generation_too_old']).toContain(result);
            continue;
          }
          expect(opened.has(id)).toBe(false);
          opened.add(id);
          expect(toHex(result.key.key) + toHex(result.key.nonce)).toBe(reference.get(id));
          tree = result.tree;
          expect(findRatchet(tree, leafIndex(o.leaf), o.type)?.skipped.length ?? 0).toBeLessThanOrEqual(options.maxSkippedKeys);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('never mutates the state a caller holds', () => {
    const t0 = createSecretTree(secret, 16);
    const t1 = consumeKey(cs, t0, leafIndex(3), 'handshake', 2).tree;
    expect(t0.root.kind).toBe('secret');
    expect(findRatchet(t0, leafIndex(3), 'handshake')).toBeNull();
    const r1 = findRatchet(t1, leafIndex(3), 'handshake');
    const t2 = consumeKey(cs, t1, leafIndex(3), 'handshake', 0).tree;
    expect(findRatchet(t1, leafIndex(3), 'handshake')).toBe(r1);
    expect(r1?.skipped.map((k) => k.generation)).toEqual([0, 1]);
    expect(findRatchet(t2, leafIndex(3), 'handshake')?.skipped.map((k) => k.generation)).toEqual([1]);
  });

  it('touches only O(log N) nodes per leaf in a large group', () => {
    let tree: SecretTree = createSecretTree(secret, 2048);
    tree = consumeNextKey(cs, tree, leafIndex(1234), 'application').tree;
    let count = 0;
    const walk = (n: SecretTree['root']): void => {
      count++;
      if (n.kind === 'parent') {
        walk(n.left);
        walk(n.right);
      }
    };
    walk(tree.root);
    expect(count).toBe(2 * 11 + 1);
    expect(summarizeSecretTree(tree)).toEqual({ derivedLeaves: 1, skippedKeys: 0, subtreeSecrets: 11 });
    tree = consumeKey(cs, tree, leafIndex(0), 'handshake', 5).tree;
    expect(summarizeSecretTree(tree)).toEqual({ derivedLeaves: 2, skippedKeys: 5, subtreeSecrets: 20 });
  });
});
