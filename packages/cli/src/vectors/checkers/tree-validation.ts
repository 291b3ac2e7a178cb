import { fromHex, toHex } from '@weft/codec';
import type { CipherSuite } from '@weft/crypto';
import {
  computeNodeTreeHash,
  computeResolution,
  decodeRatchetTree,
  nodeIndex,
  treeWidth,
  validateRatchetTree,
} from '@weft/tree';
import { expectEqual, VectorMismatch, type VectorCase, type VectorChecker } from '../checker.ts';

/** Resolutions, per-node tree hashes, parent-hash chains and leaf signatures against tree-validation.json. */
export const checker: VectorChecker = {
  file: 'tree-validation.json',
  usesProvider: true,
  suiteOf: (tc) => (typeof tc.cipher_suite === 'number' ? tc.cipher_suite : null),
  check(tc: VectorCase, cs: CipherSuite | null): void {
    if (!cs) throw new VectorMismatch('tree-validation needs a cipher suite');
    const tree = decodeRatchetTree(fromHex(String(tc.tree)));
    const width = treeWidth(tree);
    const resolutions = tc.resolutions as number[][];
    const treeHashes = tc.tree_hashes as string[];
    expectEqual('resolutions length', resolutions.length, width);
    expectEqual('tree_hashes length', treeHashes.length, width);
    for (let x = 0; x < width; x++) {
      expectEqual(`resolution[${x}]`, computeResolution(tree, nodeIndex(x)).join(','), (resolutions[x] ?? []).join(','));
      expectEqual(`tree_hashes[${x}]`, toHex(computeNodeTreeHash(cs, tree, nodeIndex(x))), treeHashes[x]);
    }
    validateRatchetTree(cs, tree, fromHex(String(tc.group_id)));
  },
};
