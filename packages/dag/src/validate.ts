import type { CID } from 'multiformats/cid';
import { EventError } from './errors.ts';
import { cidFromKey, cidKey } from './cid.ts';
import { getSigningPayload } from './eventCodec.ts';
import { withGroupHint } from './event.ts';
import type { CheckedEvent, EventKind, SignatureSuite, SuiteResolver } from './event.ts';

/** What validation needs to know about an already accepted event. */
export interface KnownEvent {
  /** Group id as a `cidKey`. */
  readonly group: string;
  readonly kind: EventKind;
  readonly height: number;
}

/** The context of a validation: known events and the suite of each known group. */
export interface ValidationContext {
  /** Metadata of an accepted event, by `cidKey`; undefined when unknown. */
  lookup(key: string): KnownEvent | undefined;
  /** Suite ids by number (from `@weft/crypto` getCipherSuite in production). */
  resolveSuite: SuiteResolver;
  /** Suite id named by a known group's genesis, by group `cidKey`. */
  groupSuite(groupKey: string): number | undefined;
  /** Set when the signature was already verified (an event released from the pending pool). */
  signatureVerified?: boolean;
}

/** Store keys (`cidKey`) of an event and of every CID it names. */
export interface EventKeys {
  readonly self: string;
  /**
   * Key of the group the event is attributed to before validation: its own key for a genesis, else
   * its `groupHint`'s; undefined when neither (the group is then told by its parents alone).
   */
  readonly group: string | undefined;
  readonly parents: readonly string[];
  readonly base: string | undefined;
  readonly resolves: readonly string[] | undefined;
}

// Kept on the checked event as a hidden property: validation and storage ask for them many times.
const KEYS = Symbol('weft.eventKeys');

/** The store keys of a checked event and of the CIDs it names, computed once per event object. */
export function getEventKeys(checked: CheckedEvent): EventKeys {
  const cached = (checked as unknown as Record<symbol, EventKeys | undefined>)[KEYS];
  if (cached) return cached;
  const { event } = checked;
  const self = cidKey(checked.cid);
  const keys: EventKeys = {
    self,
    group: event.kind === 'genesis' ? self : checked.groupHint && cidKey(checked.groupHint),
    parents: event.parents.map(cidKey),
    base: event.base ? cidKey(event.base) : undefined,
    resolves: event.resolves?.map(cidKey),
  };
  if (Object.isExtensible(checked)) Object.defineProperty(checked, KEYS, { value: keys });
  return keys;
}

/** Outcome of validation: the event's place in the DAG, or the parents still missing. */
export type ValidationOutcome =
  | { readonly status: 'valid'; readonly group: string; readonly height: number }
  | { readonly status: 'missing'; readonly missing: readonly CID[] };

/** Verifies the author signature of a checked event with `suite`; throws EventError. */
export function verifyEventSignature(checked: CheckedEvent, suite: SignatureSuite): void {
  let ok: boolean;
  try {
    ok = suite.verify(checked.event.author.key, getSigningPayload(checked.event), checked.event.sig);
  } catch (e) {
    throw new EventError('bad_author_key', `author key is not a valid suite ${suite.id} signature key: ${e instanceof Error ? e.message : String(e)}`, checked.cid.toString());
  }
  if (!ok) throw new EventError('bad_signature', `signature does not verify under the author key (suite ${suite.id})`, checked.cid.toString());
}

/** The signature suite of a known group, or EventError('unknown_suite'). */
export function getGroupSuite(ctx: ValidationContext, groupKey: string, event: CID): SignatureSuite {
  const id = ctx.groupSuite(groupKey);
  const suite = id === undefined ? undefined : ctx.resolveSuite(id);
  if (!suite) throw new EventError('unknown_suite', `cipher suite ${String(id)} of the group is not supported here`, event.toString());
  return suite;
}

/**
 * withGroupHint for a group given by key, carrying over the keys already computed for `checked`
 * (only `group` differs), so the attributed copy does not convert its CIDs to keys again.
 */
function withGroupHintKeys(checked: CheckedEvent, groupKey: string): CheckedEvent {
  const hinted = withGroupHint(checked, cidFromKey(groupKey));
  Object.defineProperty(hinted, KEYS, { value: { ...getEventKeys(checked), group: groupKey } });
  return hinted;
}

/**
 * The group key of an event as far as known now: a genesis's own key, else its attributed group
 * (`groupHint`), else the group of its first known parent; undefined when nothing tells.
 */
export function findEventGroup(checked: CheckedEvent, lookup: (key: string) => KnownEvent | undefined): string | undefined {
  const keys = getEventKeys(checked);
  if (keys.group !== undefined) return keys.group;
  for (const p of keys.parents) {
    const meta = lookup(p);
    if (meta) return meta.group;
  }
  return undefined;
}

/**
 * Attributes the decoded events of a chunk to groups before validation, so their signatures can be
 * checked in a batch: see findEventGroup, else (input in topological order) the group of a parent
 * attributed earlier (`attributed`, by event key), which becomes the event's groupHint (its entry
 * in `decoded` is replaced) so validation refuses it unless its parents are in that group.
 * Records each attribution in `attributed`; returns the group key of each entry of `decoded`.
 */
export function attributeGroups(
  decoded: (CheckedEvent | EventError)[],
  lookup: (key: string) => KnownEvent | undefined,
  attributed: Map<string, string>,
): (string | undefined)[] {
  const out: (string | undefined)[] = [];
  for (let i = 0; i < decoded.length; i++) {
    const d = decoded[i] as CheckedEvent | EventError;
    if (d instanceof EventError) {
      out.push(undefined);
      continue;
    }
    let g = findEventGroup(d, lookup);
    const parent = g === undefined ? getEventKeys(d).parents.find((p) => attributed.has(p)) : undefined;
    if (parent !== undefined) {
      g = attributed.get(parent) as string;
      decoded[i] = withGroupHintKeys(d, g);
    }
    if (g !== undefined) attributed.set(getEventKeys(d).self, g);
    out.push(g);
  }
  return out;
}

/**
 * Validates a decoded event against what is already known: parents present and all in one group
 * (the event's group, which must be the group it was attributed to, if any), base and resolves
 * valid, signature good. Pure: the same inputs give the same outcome. Throws EventError.
 */
export function validateEvent(checked: CheckedEvent, ctx: ValidationContext): ValidationOutcome {
  const { event, cid } = checked;
  const keys = getEventKeys(checked);
  if (event.kind === 'genesis') {
    const hint = checked.groupHint;
    if (hint && keys.group !== cidKey(hint)) {
      throw new EventError('group_mismatch', `a genesis is its own group, but it was received for group ${hint.toString()}`, cid.toString());
    }
    const suite = event.suite === undefined ? undefined : ctx.resolveSuite(event.suite);
    if (!suite) throw new EventError('unknown_suite', `genesis names cipher suite ${String(event.suite)}, which is not supported here`, cid.toString());
    if (!ctx.signatureVerified) verifyEventSignature(checked, suite);
    return { status: 'valid', group: keys.self, height: 0 };
  }
  // The event's group is its parents' group: every known parent must be in the same one, and in
  // the group the event was attributed to (received for), so a signature checked under that
  // group's suite, or a place in its pending pool, is never wrong.
  let groupKey = keys.group;
  const missing: CID[] = [];
  let height = 0;
  for (let i = 0; i < event.parents.length; i++) {
    const p = event.parents[i] as CID;
    const meta = ctx.lookup(keys.parents[i] as string);
    if (!meta) {
      missing.push(p);
      continue;
    }
    if (groupKey === undefined) groupKey = meta.group;
    else if (meta.group !== groupKey) {
      const why = keys.group === undefined ? 'than its other parents' : `than the group it was received for (${checked.groupHint?.toString()})`;
      throw new EventError('group_mismatch', `parent ${p.toString()} belongs to another group ${why}`, cid.toString());
    }
    height = Math.max(height, meta.height + 1);
  }
  if (missing.length > 0) return { status: 'missing', missing };
  if (groupKey === undefined) throw new EventError('invalid_parents', `a ${event.kind} event needs at least one parent`, cid.toString());
  if (event.base) {
    const meta = ctx.lookup(keys.base as string);
    if (!meta || meta.group !== groupKey || (meta.kind !== 'genesis' && meta.kind !== 'commit') || meta.height >= height) {
      throw new EventError('bad_base', `base ${event.base.toString()} is not a known genesis or commit of this group below the event`, cid.toString());
    }
  }
  for (const [i, r] of (event.resolves ?? []).entries()) {
    const meta = ctx.lookup(keys.resolves?.[i] as string);
    if (!meta || meta.group !== groupKey || meta.kind !== 'commit') {
      throw new EventError('bad_resolves', `resolved commit ${r.toString()} is not a known commit of this group`, cid.toString());
    }
  }
  if (!ctx.signatureVerified) verifyEventSignature(checked, getGroupSuite(ctx, groupKey, cid));
  return { status: 'valid', group: groupKey, height };
}
