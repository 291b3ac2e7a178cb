import type { CID } from 'multiformats/cid';

/** Current event format version (`v`). */
export const EVENT_VERSION = 2;
/** Largest encoded event, signature included. */
export const MAX_EVENT_BYTES = 64 * 1024;
/** Most parents one event may name. */
export const MAX_PARENTS = 20;
/** Domain-separation label prefixed to the bytes an author signs. */
export const SIGNATURE_LABEL = 'weft event v2';

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
  /**
   * The group the event was received for (a sync message names it) or attributed to by the store
   * from a parent seen earlier: it places the event while its parents are unknown, and the event is
   * refused ('group_mismatch') unless its parents turn out to belong to that group.
   */
  readonly groupHint?: CID;
}

/** Minimal signature capability the DAG needs; any `@weft/crypto` CipherSuite satisfies it. */
export interface SignatureSuite {
  readonly id: number;
  sign(privateKey: Uint8Array, message: Uint8Array): Uint8Array;
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
}

/** Resolves a genesis `suite` id to its signature scheme; undefined when unsupported. */
export type SuiteResolver = (id: number) => SignatureSuite | undefined;

/**
 * Group id of an event as far as the event alone tells: its own CID for a genesis, else the group it
 * was received for (`groupHint`), else undefined. An event names no group (format v2): it belongs to
 * the group of its parents, which only a replica holding them can check.
 */
export function getEventGroup(checked: CheckedEvent): CID | undefined {
  return checked.event.kind === 'genesis' ? checked.cid : checked.groupHint;
}

/** The same checked event, marked as received for `group` (see `CheckedEvent.groupHint`). */
export function withGroupHint(checked: CheckedEvent, group: CID): CheckedEvent {
  return { cid: checked.cid, bytes: checked.bytes, event: checked.event, groupHint: group };
}
