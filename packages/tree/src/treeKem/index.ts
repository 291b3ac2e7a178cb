// RFC 9420 TreeKEM: path secrets, UpdatePath creation and processing, members' private tree keys.
export * from './pathSecret.ts';
export * from './treePrivateKeys.ts';
export * from './treeKem.ts';
