// Retention (section 6): private epoch state costs forward secrecy, so it is bounded by horizons in
// DAG height below the canonical head: tree keys and init secret (needed to process late commits
// on that epoch) for the fork horizon, message keys for the message horizon. The head world is
// always kept whole.

import type { RetentionPolicy } from './deviceApi.ts';
import { cidFromKey } from '@weft/dag';
import type { World } from './worlds.ts';

/** Defaults: generous enough for long partitions in tests and the simulator. */
export const DEFAULT_RETENTION: RetentionPolicy = { forkHorizon: 512, messageHorizon: 4096 };

/** One epoch's private material this device holds, and why. */
export interface ExposureEntry {
  /** Epoch CID string. */
  readonly epoch: string;
  readonly epochNumber: number;
  /** DAG height of the epoch's event. */
  readonly height: number;
  readonly holds: ('tree_keys' | 'init_secret' | 'message_keys')[];
  /** 'canonical_head' (always kept), or the horizons that keep it. */
  readonly why: ('canonical_head' | 'fork_horizon' | 'message_horizon')[];
  /** Canonical head height at which the last of it is evicted (null for the head). */
  readonly until: number | null;
}

/** What an eviction dropped. */
export interface EvictionReport {
  readonly treeKeys: string[];
  readonly messageKeys: string[];
}

/** Drops what the horizons no longer cover; deletes worlds left empty. Returns what was dropped. */
export function applyRetention(worlds: Map<string, World>, headKey: string | null, headHeight: number, policy: RetentionPolicy, evicted: Map<string, string>): EvictionReport {
  return evictWorlds(worlds, headKey, headHeight - policy.forkHorizon, headHeight - policy.messageHorizon, evicted);
}

/** Drops tree keys below `treeFloor` and message keys below `messageFloor` (heights), except the head. */
export function evictWorlds(worlds: Map<string, World>, headKey: string | null, treeFloor: number, messageFloor: number, evicted: Map<string, string>): EvictionReport {
  const report: EvictionReport = { treeKeys: [], messageKeys: [] };
  for (const [k, w] of worlds) {
    if (k === headKey) continue;
    if (w.height < treeFloor && w.treeKeys !== null) {
      w.treeKeys = null;
      w.initSecret = null;
      report.treeKeys.push(k);
    }
    if (w.height < messageFloor && w.secretTree !== null) {
      w.secretTree = null;
      w.sharingTree = null;
      w.framing = null;
      report.messageKeys.push(k);
    }
    if (w.treeKeys === null && w.secretTree === null) {
      worlds.delete(k);
      evicted.set(k, 'evicted');
    }
  }
  return report;
}

/** The exposure report: every held epoch secret, for which epoch, why, until when. */
export function reportExposure(worlds: Map<string, World>, headKey: string | null, policy: RetentionPolicy): ExposureEntry[] {
  const out: ExposureEntry[] = [];
  for (const [k, w] of worlds) {
    const holds: ExposureEntry['holds'] = [];
    if (w.treeKeys !== null) holds.push('tree_keys');
    if (w.initSecret !== null) holds.push('init_secret');
    if (w.secretTree !== null) holds.push('message_keys');
    if (holds.length === 0) continue;
    const isHead = k === headKey;
    const why: ExposureEntry['why'] = isHead ? ['canonical_head'] : [];
    let until = 0;
    if (!isHead && w.treeKeys !== null) {
      why.push('fork_horizon');
      until = Math.max(until, w.height + policy.forkHorizon + 1);
    }
    if (!isHead && w.secretTree !== null) {
      why.push('message_horizon');
      until = Math.max(until, w.height + policy.messageHorizon + 1);
    }
    out.push({ epoch: cidFromKey(k).toString(), epochNumber: Number(w.epoch), height: w.height, holds, why, until: isHead ? null : until });
  }
  return out.sort((a, b) => a.height - b.height || (a.epoch < b.epoch ? -1 : 1));
}
