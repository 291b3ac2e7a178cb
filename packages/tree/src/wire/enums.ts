import { CodecError, type Reader, type Writer } from '@weft/codec';

// RFC 9420 code points (section 17 registries) as string unions, with strict u8/u16 codecs:
// an unknown value is CodecError('invalid_value') because the struct that follows cannot be parsed.

/** Builds the reader/writer pair of one enum from its RFC 9420 code points. */
function makeEnum<T extends string>(
  name: string,
  points: Readonly<Record<T, number>>,
  width: 8 | 16,
): { write: (w: Writer, v: T) => void; read: (r: Reader) => T; toNumber: (v: T) => number } {
  const byNumber = new Map<number, T>();
  for (const key of Object.keys(points) as T[]) byNumber.set(points[key], key);
  return {
    write(w, v) {
      const n = points[v];
      if (n === undefined) throw new CodecError('invalid_value', `unknown ${name} "${String(v)}"`);
      if (width === 8) w.u8(n);
      else w.u16(n);
    },
    read(r) {
      const at = r.offset;
      const n = width === 8 ? r.u8() : r.u16();
      const v = byNumber.get(n);
      if (v === undefined) throw new CodecError('invalid_value', `unknown ${name} ${n}`, at);
      return v;
    },
    toNumber(v) {
      return points[v];
    },
  };
}

/** RFC 9420 section 6 WireFormat. */
export type WireFormat = 'public_message' | 'private_message' | 'welcome' | 'group_info' | 'key_package';
const wireFormat = makeEnum<WireFormat>(
  'wire_format',
  { public_message: 1, private_message: 2, welcome: 3, group_info: 4, key_package: 5 },
  16,
);
/** Writes a WireFormat (uint16). */
export const writeWireFormat = wireFormat.write;
/** Reads a WireFormat, rejecting unknown values. */
export const readWireFormat = wireFormat.read;
/** RFC 9420 code point of a WireFormat. */
export const wireFormatToNumber = wireFormat.toNumber;

/** RFC 9420 section 6 ContentType. */
export type ContentType = 'application' | 'proposal' | 'commit';
const contentType = makeEnum<ContentType>('content_type', { application: 1, proposal: 2, commit: 3 }, 8);
/** Writes a ContentType (uint8). */
export const writeContentType = contentType.write;
/** Reads a ContentType, rejecting unknown values. */
export const readContentType = contentType.read;
/** RFC 9420 code point of a ContentType. */
export const contentTypeToNumber = contentType.toNumber;

/** RFC 9420 section 6 SenderType. */
export type SenderType = 'member' | 'external' | 'new_member_proposal' | 'new_member_commit';
const senderType = makeEnum<SenderType>(
  'sender_type',
  { member: 1, external: 2, new_member_proposal: 3, new_member_commit: 4 },
  8,
);
/** Writes a SenderType (uint8). */
export const writeSenderType = senderType.write;
/** Reads a SenderType, rejecting unknown values. */
export const readSenderType = senderType.read;

/** RFC 9420 section 5.3 CredentialType (the ones whose bodies Weft can parse). */
export type CredentialType = 'basic' | 'x509';
const credentialType = makeEnum<CredentialType>('credential_type', { basic: 1, x509: 2 }, 16);
/** Writes a CredentialType (uint16). */
export const writeCredentialType = credentialType.write;
/** Reads a CredentialType, rejecting unknown values. */
export const readCredentialType = credentialType.read;

/** RFC 9420 section 7.2 LeafNodeSource. */
export type LeafNodeSourceType = 'key_package' | 'update' | 'commit';
const leafNodeSource = makeEnum<LeafNodeSourceType>('leaf_node_source', { key_package: 1, update: 2, commit: 3 }, 8);
/** Writes a LeafNodeSource (uint8). */
export const writeLeafNodeSourceType = leafNodeSource.write;
/** Reads a LeafNodeSource, rejecting unknown values. */
export const readLeafNodeSourceType = leafNodeSource.read;

/** RFC 9420 section 7.8 NodeType. */
export type NodeType = 'leaf' | 'parent';
const nodeType = makeEnum<NodeType>('node_type', { leaf: 1, parent: 2 }, 8);
/** Writes a NodeType (uint8). */
export const writeNodeType = nodeType.write;
/** Reads a NodeType, rejecting unknown values. */
export const readNodeType = nodeType.read;

/** RFC 9420 section 12.1 ProposalType (the default proposals). */
export type ProposalType =
  | 'add'
  | 'update'
  | 'remove'
  | 'psk'
  | 'reinit'
  | 'external_init'
  | 'group_context_extensions';
const proposalType = makeEnum<ProposalType>(
  'proposal_type',
  { add: 1, update: 2, remove: 3, psk: 4, reinit: 5, external_init: 6, group_context_extensions: 7 },
  16,
);
/** Writes a ProposalType (uint16). */
export const writeProposalType = proposalType.write;
/** Reads a ProposalType, rejecting unknown values. */
export const readProposalType = proposalType.read;
/** RFC 9420 code point of a ProposalType (as listed in Capabilities.proposals). */
export const proposalTypeToNumber = proposalType.toNumber;

/** RFC 9420 section 12.4 ProposalOrRefType. */
export type ProposalOrRefType = 'proposal' | 'reference';
const proposalOrRefType = makeEnum<ProposalOrRefType>('proposal_or_ref_type', { proposal: 1, reference: 2 }, 8);
/** Writes a ProposalOrRefType (uint8). */
export const writeProposalOrRefType = proposalOrRefType.write;
/** Reads a ProposalOrRefType, rejecting unknown values. */
export const readProposalOrRefType = proposalOrRefType.read;

/** RFC 9420 section 8.4 PSKType. */
export type PskType = 'external' | 'resumption';
const pskType = makeEnum<PskType>('psk_type', { external: 1, resumption: 2 }, 8);
/** Writes a PSKType (uint8). */
export const writePskType = pskType.write;
/** Reads a PSKType, rejecting unknown values. */
export const readPskType = pskType.read;

/** RFC 9420 section 8.4 ResumptionPSKUsage. */
export type ResumptionPskUsage = 'application' | 'reinit' | 'branch';
const resumptionPskUsage = makeEnum<ResumptionPskUsage>('resumption_psk_usage', { application: 1, reinit: 2, branch: 3 }, 8);
/** Writes a ResumptionPSKUsage (uint8). */
export const writeResumptionPskUsage = resumptionPskUsage.write;
/** Reads a ResumptionPSKUsage, rejecting unknown values. */
export const readResumptionPskUsage = resumptionPskUsage.read;

/** RFC 9420 ProtocolVersion mls10; the only version a struct may carry. */
export const MLS10 = 1;

/** Writes ProtocolVersion mls10. */
export function writeProtocolVersion(w: Writer): void {
  w.u16(MLS10);
}

/** Reads a ProtocolVersion and rejects anything but mls10. */
export function readProtocolVersion(r: Reader): void {
  const at = r.offset;
  const v = r.u16();
  if (v !== MLS10) throw new CodecError('invalid_value', `unsupported protocol version ${v}`, at);
}
