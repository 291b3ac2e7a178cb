// Guards the per-commit cost of the group layer: in a full tree, creating and processing a commit
// hashes O(log N) values (tree hashes are cached, nothing rehashes the whole tree), so going from
// 16 to 256 members (4 to 8 tree levels) may at most roughly double the number of hash calls.
import { getCipherSuite, type CipherSuite } from '@weft/crypto';
import { describe, expect, it } from 'vitest';
import { buildFullTreeGroup, createCommit, processCommit, type GroupState } from '../src/index.ts';

function countingSuite(): { cs: CipherSuite; calls: { hash: number; seal: number } } {
  const base = getCipherSuite(1, 'node');
  const calls = { hash: 0, seal: 0 };
  const cs: CipherSuite = {
    ...base,
    hash: (data) => {
      calls.hash++;
      return base.hash(data);
    },
    hpkeSeal: (pk, info, aad, pt) => {
      calls.seal++;
      return base.hpkeSeal(pk, info, aad, pt);
    },
    hpkeSealBatch: (recipients, info, aad) => {
      calls.seal += recipients.length;
      return recipients.map((r) => base.hpkeSeal(r.publicKey, info, aad, r.plaintext));
    },
  };
  return { cs, calls };
}

function costOf(n: number): { createHashes: number; processHashes: number; seals: number } {
  const { cs, calls } = countingSuite();
  const [a, b] = buildFullTreeGroup(cs, n).states as [GroupState, GroupState];
  calls.hash = 0;
  calls.seal = 0;
  const c = createCommit(a, { update: true });
  const createHashes = calls.hash;
  const seals = calls.seal;
  calls.hash = 0;
  const out = processCommit(b, c.commit);
  expect(out.kind).toBe('next_epoch');
  return { createHashes, processHashes: calls.hash, seals };
}

describe('commit cost in a full tree', () => {
  it('grows with the tree depth, not the member count', () => {
    const small = costOf(16);
    const large = costOf(256);
    // One HPKE seal per filtered-direct-path node: the depth.
    expect(small.seals).toBe(4);
    expect(large.seals).toBe(8);
    expect(large.createHashes).toBeLessThanOrEqual(2.5 * small.createHashes);
    expect(large.processHashes).toBeLessThanOrEqual(2.5 * small.processHashes);
  });
});
