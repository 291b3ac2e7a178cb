// A commit must cost O(log n) hashes, not O(n): the tree hash cache is updated only along the
// changed direct path. Counting the suite's hash calls makes this a deterministic check.
import { utf8 } from '@weft/codec';
import { getCipherSuite, type CipherSuite } from '@weft/crypto';
import { describe, expect, it } from 'vitest';
import {
  computeTreeHash,
  createUpdatePath,
  directPath,
  leafIndex,
  nodeIndex,
  processUpdatePath,
  ratchetTreeFromNodes,
  type Node,
  type TreePrivateKeys,
} from '../src/index.ts';

const base = getCipherSuite(1, 'node');

/** The suite with a counter on hash(). */
function countingSuite(): { cs: CipherSuite; calls: () => number } {
  let n = 0;
  const cs: CipherSuite = Object.assign(Object.create(base) as CipherSuite, {
    hash(data: Uint8Array): Uint8Array {
      n++;
      return base.hash(data);
    },
  });
  return { cs, calls: () => n };
}

/** A full tree of `leaves` members in which every node has a real HPKE key (as after many commits). */
function fullTree(leaves: number) {
  const priv: Uint8Array[] = [];
  const nodes: Node[] = [];
  for (let x = 0; x < 2 * leaves - 1; x++) {
    const kp = base.kemGenerateKeyPair();
    priv[x] = kp.privateKey;
    nodes.push(
      x % 2 === 0
        ? {
            nodeType: 'leaf',
            leafNode: {
              encryptionKey: kp.publicKey,
              signatureKey: utf8(`sig ${x}`),
              credential: { credentialType: 'basic', identity: utf8(`member ${x / 2}`) },
              capabilities: { versions: [1], cipherSuites: [1], extensions: [], proposals: [], credentials: [1] },
              leafNodeSource: { type: 'update' },
              extensions: [],
              signature: new Uint8Array(64),
            },
          }
        : { nodeType: 'parent', parentNode: { encryptionKey: kp.publicKey, parentHash: new Uint8Array(32), unmergedLeaves: [] } },
    );
  }
  return { tree: ratchetTreeFromNodes(nodes), priv };
}

describe('TreeKEM cost', () => {
  for (const n of [64, 512]) {
    it(`a commit in a ${n}-member group hashes O(log n) nodes`, () => {
      const { cs, calls } = countingSuite();
      const { tree, priv } = fullTree(n);
      computeTreeHash(cs, tree); // the previous epoch's cache
      const depth = Math.log2(n);
      const signer = base.signatureGenerateKeyPair();
      const groupContext = { cipherSuite: 1, groupId: utf8('g'), epoch: 1n, confirmedTranscriptHash: new Uint8Array(32), extensions: [] };
      const sender = leafIndex(n / 2 + 1);

      let before = calls();
      let t = performance.now();
      const created = createUpdatePath(cs, {
        tree,
        senderLeaf: sender,
        signaturePrivateKey: signer.privateKey,
        groupContext,
        leafChanges: { signatureKey: signer.publicKey },
      });
      const createMs = performance.now() - t;
      const createHashes = calls() - before;

      const me = 3;
      const nodeKeys = new Map<number, Uint8Array>();
      for (const x of [2 * me, ...directPath(nodeIndex(2 * me), n)]) nodeKeys.set(x, priv[x]!);
      const keys: TreePrivateKeys = { leafIndex: leafIndex(me), nodeKeys };
      before = calls();
      t = performance.now();
      const processed = processUpdatePath(cs, { tree, senderLeaf: sender, updatePath: created.updatePath, groupContext, privateKeys: keys });
      const processMs = performance.now() - t;
      const processHashes = calls() - before;
      console.log(`n=${n}: create ${createMs.toFixed(2)} ms / ${createHashes} hashes, process ${processMs.toFixed(2)} ms / ${processHashes} hashes`);
      expect(processed.commitSecret).toEqual(created.commitSecret);
      // Tree hash: the leaf and its depth ancestors; parent hashes: one per path node.
      expect(createHashes).toBeLessThanOrEqual(2 * depth + 2);
      expect(processHashes).toBeLessThanOrEqual(2 * depth + 2);
    });
  }
});
