import { decode, encode, type Reader, type Writer } from '@weft/codec';
import {
  readProposalOrRefType,
  readProposalType,
  readPskType,
  readResumptionPskUsage,
  writeProposalOrRefType,
  writeProposalType,
  writePskType,
  writeResumptionPskUsage,
  type ResumptionPskUsage,
} from './enums.ts';
import { readExtensions, writeExtensions, type Extension } from './extension.ts';
import { readKeyPackage, writeKeyPackage, type KeyPackage } from './keyPackage.ts';
import { readLeafNode, writeLeafNode, type LeafNode } from './leafNode.ts';
import { MAX_HASH_BYTES, MAX_ID_BYTES, MAX_KEY_BYTES } from './limits.ts';

/** RFC 9420 section 8.4 PreSharedKeyID. */
export type PreSharedKeyID =
  | { readonly pskType: 'external'; readonly pskId: Uint8Array; readonly pskNonce: Uint8Array }
  | {
      readonly pskType: 'resumption';
      readonly usage: ResumptionPskUsage;
      readonly pskGroupId: Uint8Array;
      readonly pskEpoch: bigint;
      readonly pskNonce: Uint8Array;
    };

/** RFC 9420 section 12.1.1 Add. */
export interface Add {
  readonly keyPackage: KeyPackage;
}
/** RFC 9420 section 12.1.2 Update. */
export interface Update {
  readonly leafNode: LeafNode;
}
/** RFC 9420 section 12.1.3 Remove (`removed` is a leaf index). */
export interface Remove {
  readonly removed: number;
}
/** RFC 9420 section 12.1.4 PreSharedKey. */
export interface PreSharedKey {
  readonly psk: PreSharedKeyID;
}
/** RFC 9420 section 12.1.5 ReInit (`version` is a raw ProtocolVersion). */
export interface ReInit {
  readonly groupId: Uint8Array;
  readonly version: number;
  readonly cipherSuite: number;
  readonly extensions: readonly Extension[];
}
/** RFC 9420 section 12.1.6 ExternalInit. */
export interface ExternalInit {
  readonly kemOutput: Uint8Array;
}
/** RFC 9420 section 12.1.7 GroupContextExtensions. */
export interface GroupContextExtensions {
  readonly extensions: readonly Extension[];
}

/** RFC 9420 section 12.1 Proposal: the proposal type and its body's fields. */
export type Proposal =
  | ({ readonly proposalType: 'add' } & Add)
  | ({ readonly proposalType: 'update' } & Update)
  | ({ readonly proposalType: 'remove' } & Remove)
  | ({ readonly proposalType: 'psk' } & PreSharedKey)
  | ({ readonly proposalType: 'reinit' } & ReInit)
  | ({ readonly proposalType: 'external_init' } & ExternalInit)
  | ({ readonly proposalType: 'group_context_extensions' } & GroupContextExtensions);

/** RFC 9420 section 12.4 ProposalOrRef: an inline proposal or a ProposalRef. */
export type ProposalOrRef =
  | { readonly type: 'proposal'; readonly proposal: Proposal }
  | { readonly type: 'reference'; readonly reference: Uint8Array };

/** Writes a PreSharedKeyID. */
export function writePreSharedKeyID(w: Writer, p: PreSharedKeyID): void {
  writePskType(w, p.pskType);
  if (p.pskType === 'external') w.opaque(p.pskId);
  else {
    writeResumptionPskUsage(w, p.usage);
    w.opaque(p.pskGroupId).u64(p.pskEpoch);
  }
  w.opaque(p.pskNonce);
}

/** Reads a PreSharedKeyID. */
export function readPreSharedKeyID(r: Reader): PreSharedKeyID {
  const pskType = readPskType(r);
  if (pskType === 'external') {
    const pskId = r.opaque(MAX_ID_BYTES);
    return { pskType, pskId, pskNonce: r.opaque(MAX_ID_BYTES) };
  }
  const usage = readResumptionPskUsage(r);
  const pskGroupId = r.opaque(MAX_ID_BYTES);
  const pskEpoch = r.u64();
  return { pskType, usage, pskGroupId, pskEpoch, pskNonce: r.opaque(MAX_ID_BYTES) };
}

/** Writes an Add body. */
export function writeAdd(w: Writer, p: Add): void {
  writeKeyPackage(w, p.keyPackage);
}
/** Reads an Add body. */
export function readAdd(r: Reader): Add {
  return { keyPackage: readKeyPackage(r) };
}
/** Writes an Update body. */
export function writeUpdate(w: Writer, p: Update): void {
  writeLeafNode(w, p.leafNode);
}
/** Reads an Update body. */
export function readUpdate(r: Reader): Update {
  return { leafNode: readLeafNode(r) };
}
/** Writes a Remove body. */
export function writeRemove(w: Writer, p: Remove): void {
  w.u32(p.removed);
}
/** Reads a Remove body. */
export function readRemove(r: Reader): Remove {
  return { removed: r.u32() };
}
/** Writes a PreSharedKey body. */
export function writePreSharedKey(w: Writer, p: PreSharedKey): void {
  writePreSharedKeyID(w, p.psk);
}
/** Reads a PreSharedKey body. */
export function readPreSharedKey(r: Reader): PreSharedKey {
  return { psk: readPreSharedKeyID(r) };
}
/** Writes a ReInit body. */
export function writeReInit(w: Writer, p: ReInit): void {
  w.opaque(p.groupId).u16(p.version).u16(p.cipherSuite);
  writeExtensions(w, p.extensions);
}
/** Reads a ReInit body. */
export function readReInit(r: Reader): ReInit {
  const groupId = r.opaque(MAX_ID_BYTES);
  const version = r.u16();
  const cipherSuite = r.u16();
  return { groupId, version, cipherSuite, extensions: readExtensions(r) };
}
/** Writes an ExternalInit body. */
export function writeExternalInit(w: Writer, p: ExternalInit): void {
  w.opaque(p.kemOutput);
}
/** Reads an ExternalInit body. */
export function readExternalInit(r: Reader): ExternalInit {
  return { kemOutput: r.opaque(MAX_KEY_BYTES) };
}
/** Writes a GroupContextExtensions body. */
export function writeGroupContextExtensions(w: Writer, p: GroupContextExtensions): void {
  writeExtensions(w, p.extensions);
}
/** Reads a GroupContextExtensions body. */
export function readGroupContextExtensions(r: Reader): GroupContextExtensions {
  return { extensions: readExtensions(r) };
}

/** Writes a Proposal. */
export function writeProposal(w: Writer, p: Proposal): void {
  writeProposalType(w, p.proposalType);
  switch (p.proposalType) {
    case 'add':
      return writeAdd(w, p);
    case 'update':
      return writeUpdate(w, p);
    case 'remove':
      return writeRemove(w, p);
    case 'psk':
      return writePreSharedKey(w, p);
    case 'reinit':
      return writeReInit(w, p);
    case 'external_init':
      return writeExternalInit(w, p);
    case 'group_context_extensions':
      return writeGroupContextExtensions(w, p);
  }
}

/** Reads a Proposal; unknown proposal types are rejected (their bodies cannot be delimited). */
export function readProposal(r: Reader): Proposal {
  const proposalType = readProposalType(r);
  switch (proposalType) {
    case 'add':
      return { proposalType, ...readAdd(r) };
    case 'update':
      return { proposalType, ...readUpdate(r) };
    case 'remove':
      return { proposalType, ...readRemove(r) };
    case 'psk':
      return { proposalType, ...readPreSharedKey(r) };
    case 'reinit':
      return { proposalType, ...readReInit(r) };
    case 'external_init':
      return { proposalType, ...readExternalInit(r) };
    case 'group_context_extensions':
      return { proposalType, ...readGroupContextExtensions(r) };
  }
}

/** TLS encoding of a Proposal (the input of its ProposalRef is the AuthenticatedContent, not this). */
export function encodeProposal(p: Proposal): Uint8Array {
  return encode((w) => writeProposal(w, p));
}

/** Strictly decodes a Proposal. */
export function decodeProposal(bytes: Uint8Array): Proposal {
  return decode(bytes, readProposal);
}

/** Writes a ProposalOrRef. */
export function writeProposalOrRef(w: Writer, p: ProposalOrRef): void {
  writeProposalOrRefType(w, p.type);
  if (p.type === 'proposal') writeProposal(w, p.proposal);
  else w.opaque(p.reference);
}

/** Reads a ProposalOrRef. */
export function readProposalOrRef(r: Reader): ProposalOrRef {
  const type = readProposalOrRefType(r);
  if (type === 'proposal') return { type, proposal: readProposal(r) };
  return { type, reference: r.opaque(MAX_HASH_BYTES) };
}
