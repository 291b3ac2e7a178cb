// RFC 9420 ratchet tree: representation, resolution, tree hash, parent hash, validation, Add/Update/Remove.
export {
  type RatchetTree,
  type TreeHashCache,
  treeWidth,
  getLeaf,
  getParent,
  isBlank,
  getEncryptionKey,
  listMembers,
  createRatchetTree,
  ratchetTreeFromNodes,
  ratchetTreeToNodes,
  readRatchetTree,
  decodeRatchetTree,
  encodeRatchetTree,
} from './ratchetTree.ts';
export * from './resolution.ts';
export * from './treeHash.ts';
export * from './parentHash.ts';
export * from './treeOperations.ts';
export * from './leafNodeSignature.ts';
export * from './treeValidation.ts';
export * from './leafNodeValidation.ts';
