// RFC 9420 group layer: KeyPackages, group state, proposals, commits, Welcome joins, application messages.
export * from './keyPackage.ts';
export * from './leafNodeValidation.ts';
export * from './groupState.ts';
export * from './proposals.ts';
export * from './applyProposals.ts';
export * from './commit.ts';
export * from './welcome.ts';
export * from './processCommit.ts';
export * from './join.ts';
export * from './applicationMessage.ts';
export * from './fullTree.ts';
