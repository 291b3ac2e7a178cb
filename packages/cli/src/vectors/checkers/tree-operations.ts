import { fromHex, toHex } from '@weft/codec';
import type { CipherSuite } from '@weft/crypto';
import {
  addLeaf,
  computeTreeHash,
  decodeProposal,
  decodeRatchetTree,
  encodeRatchetTree,
  leafIndex,
  removeLeaf,
  updateLeaf,
  type RatchetTree,
} from '@weft/tree';
import { expectEqual, VectorMismatch, type VectorCase, type VectorChecker } from '../checker.ts';

/** Applies one Add/Update/Remove to the tree and compares the serialized result and tree hashes (tree-operations.json). */
export const checker: VectorChecker = {
  file: 'tree-operations.json',
  usesProvider: true,
  suiteOf: (tc) => (typeof tc.cipher_suite === 'number' ? tc.cipher_suite : null),
  check(tc: VectorCase, cs: CipherSuite | null): void {
    if (!cs) throw new VectorMismatch('tree-operations needs a cipher suite');
    const before = decodeRatchetTree(fromHex(String(tc.tree_before)));
    expectEqual('tree_hash_before', toHex(computeTreeHash(cs, before)), tc.tree_hash_before);
    const proposal = decodeProposal(fromHex(String(tc.proposal)));
    const sender = leafIndex(Number(tc.proposal_sender));
    let after: RatchetTree;
    if (proposal.proposalType === 'add') after = addLeaf(before, proposal.keyPackage.leafNode).tree;
    else if (proposal.proposalType === 'update') after = updateLeaf(before, sender, proposal.leafNode);
    else if (proposal.proposalType === 'remove') after = removeLeaf(before, leafIndex(proposal.removed));
    else throw new VectorMismatch(`unexpected ${proposal.proposalType} proposal`);
    expectEqual('tree_after', toHex(encodeRatchetTree(after)), tc.tree_after);
    expectEqual('tree_hash_after', toHex(computeTreeHash(cs, after)), tc.tree_hash_after);
    // The input tree value is unchanged (copy-on-write).
    expectEqual('tree_before unchanged', toHex(encodeRatchetTree(before)), tc.tree_before);
    expectEqual('tree_hash_before unchanged', toHex(computeTreeHash(cs, before)), tc.tree_hash_before);
  },
};
