// What the simulator needs from a public resolver: the canonical chain and the fork decisions that
// a site computes from public DAG data alone (no group secrets), and the membership of any epoch.

import type { EventBlock } from '@weft/dag';

/** One fork as the resolver decided it. */
export interface ForkDecision {
  /** Base epoch CID. */
  readonly base: string;
  /** Competing commits with their printable resolution keys. */
  readonly children: readonly { readonly cid: string; readonly key: string }[];
  readonly winner: string;
}

/** The public resolution of one group. */
export interface PublicResolution {
  /** Canonical head epoch CID (null when the group has no genesis). */
  readonly head: string | null;
  /** Canonical chain of epoch CIDs, genesis first. */
  readonly chain: readonly string[];
  readonly forks: readonly ForkDecision[];
  /** True when the branches together removed every member of the head: the group is closed (nobody can send or commit). */
  readonly closed?: boolean;
  /** Events the resolver refused (invalid for public reasons), as printable lines. */
  readonly rejected: readonly string[];
  /** Member identities (sorted) of any epoch on any branch; undefined when unknown or invalid. */
  members(epoch: string): string[] | undefined;
  /** Epoch number of an epoch CID. */
  epochNumber(epoch: string): number | undefined;
}

/** Computes the public resolution of a group from all its events in topological order. */
export type PublicResolver = (blocks: readonly EventBlock[]) => PublicResolution;
