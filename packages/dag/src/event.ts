import type { CID } from 'multiformats/cid';

/** Current event format version (`v`). */
export const EVENT_VERSION = 1;
/** Largest encoded event, signature included. */
export const MAX_EVENT_BYTES = 64 * 1024;
/** Most parents one event may name. */
export const MAX_PARENTS = 20;
/** Domain-separation label prefixed to the bytes an author signs. */
export const SIGNATURE_LABEL = 'weft event v1';

/** The five event kinds. */
export const EVENT_KINDS = ['genesis', 'proposal', 'commit', 'welcome', 'message'] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

/** Kinds that change the group: they pass the `authorize` hook and, except genesis, enter the fork index. */
export const HANDSHAKE_KINDS: ReadonlySet<EventKind> = new Set(['genesis', 'proposal', 'commit']);

/** The author device: its signature public key and, optionally, its leaf index in the base epoch. */
export interface Author {
  readonly key: Uint8Array;
  readonly leaf?: number;
}

/** A decoded event, every field checked against the schema (see README). */
export interface DagEvent {
  readonly v: number;
  readonly kind: EventKind;
  /** Group id (genesis CID); absent on genesis, whose own CID is the group id. */
  readonly group?: CID;
  /** Cipher suite id; present on genesis only. */
  readonly suite?: number;
  readonly author: Author;
  /** Sorted by bytes, unique, 1..20 (none on genesis). */
  readonly parents: readonly CID[];
  /** Epoch the event belongs to: required on proposal, commit and message, optional on welcome. */
  readonly base?: CID;
  /** RFC 9420 wire bytes. */
  readonly body: Uint8Array;
  /** Losing commits that a rebase commit resolves (commit only; sorted, unique, non-empty). */
  readonly resolves?: readonly CID[];
  readonly sig: Uint8Array;
}

/** The fields an author fills in; the builder adds `v` and `sig`. */
export type EventInput = Omit<DagEvent, 'v' | 'sig'>;

/** What the store keeps about an accepted event, enough to validate its children without decoding it. */
export interface EventMeta {
  readonly cid: CID;
  readonly group: CID;
  readonly kind: EventKind;
  readonly height: number;
  readonly parents: readonly CID[];
  readonly base?: CID;
}

/** An event with its CID and canonical bytes. */
export interface EventBlock {
  readonly cid: CID;
  readonly bytes: Uint8Array;
}

/** A checked event: its block plus the decoded fields. */
export interface CheckedEvent extends EventBlock {
  readonly event: DagEvent;
}

/** Minimal signature capability the DAG needs; any `@weft/crypto` CipherSuite satisfies it. */
export interface SignatureSuite {
  readonly id: number;
  sign(privateKey: Uint8Array, message: Uint8Array): Uint8Array;
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
}

/** Resolves a genesis `suite` id to its signature scheme; undefined when unsupported. */
export type SuiteResolver = (id: number) => SignatureSuite | undefined;

/** Group id of an event: its `group` field, or its own CID for a genesis. */
export function getEventGroup(checked: CheckedEvent): CID {
  return checked.event.group ?? checked.cid;
}
