// RFC 9420 section 7.3 LeafNode validation against a group, shaped for commits: a commit may carry
// one leaf (its path) or thousands (an add-all commit), and neither may cost a scan of the whole
// tree per leaf, so uniqueness and credential support go through a per-tree key index.

import { bytesEqual, CodecError, decode, toHex } from '@weft/codec';
import type { CipherSuite } from '@weft/crypto';
import { MlsError } from '../errors.ts';
import { verifyLeafNodeSignature } from '../ratchetTree/leafNodeSignature.ts';
import { readRequiredCapabilities, type RequiredCapabilities } from '../wire/capabilities.ts';
import { ExtensionType, type Extension } from '../wire/extension.ts';
import type { LeafNode, LeafNodeSource } from '../wire/leafNode.ts';
import type { RatchetTree } from '../ratchetTree/ratchetTree.ts';

const DEFAULT_EXTENSIONS: ReadonlySet<number> = new Set(Object.values(ExtensionType));
const DEFAULT_PROPOSALS: ReadonlySet<number> = new Set([1, 2, 3, 4, 5, 6, 7]);

/** Numeric credential type of a leaf (basic = 1, x509 = 2). */
export function credentialTypeOf(leaf: LeafNode): number {
  return leaf.credential.credentialType === 'basic' ? 1 : 2;
}

/** The required_capabilities extension among `extensions`, decoded, or null. */
export function readRequiredCapabilitiesExtension(extensions: readonly Extension[]): RequiredCapabilities | null {
  const ext = extensions.find((e) => e.extensionType === ExtensionType.requiredCapabilities);
  if (!ext) return null;
  try {
    return decode(ext.extensionData, readRequiredCapabilities);
  } catch (err) {
    if (err instanceof CodecError) throw new MlsError('capabilities_invalid', `the required_capabilities extension is malformed: ${err.message}`);
    throw err;
  }
}

/** Throws capabilities_invalid unless `leaf` supports the extensions and the required capabilities of a GroupContext. */
export function checkLeafSupportsGroup(leaf: LeafNode, groupExtensions: readonly Extension[], required: RequiredCapabilities | null, where: string): void {
  const caps = leaf.capabilities;
  for (const e of groupExtensions) {
    if (!DEFAULT_EXTENSIONS.has(e.extensionType) && !caps.extensions.includes(e.extensionType)) {
      throw new MlsError('capabilities_invalid', `${where} does not support group extension ${e.extensionType}`);
    }
  }
  if (!required) return;
  for (const t of required.extensionTypes) {
    if (!DEFAULT_EXTENSIONS.has(t) && !caps.extensions.includes(t)) throw new MlsError('capabilities_invalid', `${where} lacks required extension ${t}`);
  }
  for (const t of required.proposalTypes) {
    if (!DEFAULT_PROPOSALS.has(t) && !caps.proposals.includes(t)) throw new MlsError('capabilities_invalid', `${where} lacks required proposal type ${t}`);
  }
  for (const t of required.credentialTypes) {
    if (!caps.credentials.includes(t)) throw new MlsError('capabilities_invalid', `${where} lacks required credential type ${t}`);
  }
}

/** The group a leaf is checked against. */
export interface LeafCheckGroup {
  readonly groupId: Uint8Array;
  /** GroupContext extensions in force for the leaf (after a GroupContextExtensions proposal). */
  readonly extensions: readonly Extension[];
  /** Seconds since the Unix epoch; when given, key_package lifetimes must contain it. */
  readonly now?: bigint;
}

/**
 * Which leaves hold each signature and encryption key, shared by a whole lineage of trees (an
 * epoch's tree and every tree derived from it by commits): a key maps to every leaf that held it
 * in some tree of the lineage, and a lookup keeps only the leaves whose LeafNode in the tree at
 * hand really has that key. So one index serves competing commits on the same epoch (forks) as
 * well as the chain, and a commit costs O(changed leaves), never an O(N) rebuild.
 */
interface KeyLineage {
  readonly sig: Map<string, number[]>;
  readonly enc: Map<string, number[]>;
  /** Leaf entries over both maps; the lineage is rebuilt for a new tree once stale ones dominate. */
  entries: number;
}

/** A tree's view of its lineage, plus its own per-credential-type counts (small maps). */
interface LeafKeyIndex {
  readonly lineage: KeyLineage;
  /** Members per credential type. */
  readonly credCount: ReadonlyMap<number, number>;
  /** Members per credential type they do not support. */
  readonly unsupported: ReadonlyMap<number, number>;
}

const KNOWN_CREDENTIALS = [1, 2];
const indexes = new WeakMap<RatchetTree, LeafKeyIndex>();

function bump(m: Map<number, number>, k: number, d: number): void {
  m.set(k, (m.get(k) ?? 0) + d);
}

function countLeaf(credCount: Map<number, number>, unsupported: Map<number, number>, leaf: LeafNode, d: number): void {
  bump(credCount, credentialTypeOf(leaf), d);
  for (const t of KNOWN_CREDENTIALS) if (!leaf.capabilities.credentials.includes(t)) bump(unsupported, t, d);
}

function addHolder(lineage: KeyLineage, m: Map<string, number[]>, key: string, l: number): void {
  const holders = m.get(key);
  if (holders === undefined) m.set(key, [l]);
  else if (holders.includes(l)) return;
  else holders.push(l);
  lineage.entries++;
}

/** The key index of `tree`, building a fresh lineage (O(N)) when the tree has none. */
function indexFor(tree: RatchetTree): LeafKeyIndex {
  const found = indexes.get(tree);
  if (found) return found;
  const lineage: KeyLineage = { sig: new Map(), enc: new Map(), entries: 0 };
  const credCount = new Map<number, number>();
  const unsupported = new Map<number, number>();
  tree.leaves.forEach((leaf, l) => {
    if (!leaf) return;
    addHolder(lineage, lineage.sig, toHex(leaf.signatureKey), l);
    addHolder(lineage, lineage.enc, toHex(leaf.encryptionKey), l);
    countLeaf(credCount, unsupported, leaf, 1);
  });
  const idx: LeafKeyIndex = { lineage, credCount, unsupported };
  indexes.set(tree, idx);
  return idx;
}

/** Leaves of `tree` whose signature (or encryption) key is `key` (hex of `bytes`), per the index. */
function holdersOf(idx: LeafKeyIndex, tree: RatchetTree, kind: 'sig' | 'enc', key: string, bytes: Uint8Array): number[] {
  const candidates = (kind === 'sig' ? idx.lineage.sig : idx.lineage.enc).get(key) ?? [];
  return candidates.filter((l) => {
    const leaf = tree.leaves[l];
    return leaf != null && bytesEqual(kind === 'sig' ? leaf.signatureKey : leaf.encryptionKey, bytes);
  });
}

/**
 * Gives `to` (a tree derived from `from` by changing the leaves in `changed`) the key index of
 * `from`'s lineage, if `from` has one. `from` keeps its index: a competing commit on the same
 * epoch finds it too. When stale entries dominate the lineage, `to` starts a fresh one when needed.
 */
export function handOverLeafKeyIndex(from: RatchetTree, to: RatchetTree, changed: Iterable<number>): void {
  const idx = indexes.get(from);
  if (!idx || indexes.has(to)) return;
  const lineage = idx.lineage;
  if (lineage.entries > 4 * to.leafCount + 1024) return;
  const credCount = new Map(idx.credCount);
  const unsupported = new Map(idx.unsupported);
  for (const l of new Set(changed)) {
    const old = from.leaves[l] ?? null;
    if (old) countLeaf(credCount, unsupported, old, -1);
    const now = to.leaves[l] ?? null;
    if (now) {
      addHolder(lineage, lineage.sig, toHex(now.signatureKey), l);
      addHolder(lineage, lineage.enc, toHex(now.encryptionKey), l);
      countLeaf(credCount, unsupported, now, 1);
    }
  }
  indexes.set(to, { lineage, credCount, unsupported });
}

/**
 * Checks LeafNodes entering a tree during one commit (section 7.3): source, signature (optional,
 * when a caller has verified it already), lifetime if a clock is given, extensions listed in
 * capabilities, the group's required capabilities, credential types supported both ways,
 * signature_key and encryption_key unique among the other leaves, and an Update's new
 * encryption_key. Uniqueness and credential support use the tree's key index plus an overlay of
 * this commit's changes (noteReplaced / noteSet), never a scan of all leaves.
 */
export class LeafChecker {
  private readonly required: RequiredCapabilities | null;
  private base: LeafKeyIndex | null = null;
  private readonly replaced = new Set<number>();
  private readonly sig = new Map<string, number>();
  private readonly enc = new Map<string, number>();
  private credCount: Map<number, number> | null = null;
  private unsupported: Map<number, number> | null = null;

  /** `tree` is the epoch's tree; `leaves` the live leaf array being edited (a TreeDraft's). */
  constructor(
    private readonly cs: CipherSuite,
    private readonly tree: RatchetTree,
    private readonly leaves: readonly (LeafNode | null)[],
    private readonly group: LeafCheckGroup,
  ) {
    this.required = readRequiredCapabilitiesExtension(group.extensions);
  }

  private counters(): { credCount: Map<number, number>; unsupported: Map<number, number>; base: LeafKeyIndex } {
    if (!this.base || !this.credCount || !this.unsupported) {
      this.base = indexFor(this.tree);
      this.credCount = new Map(this.base.credCount);
      this.unsupported = new Map(this.base.unsupported);
      // Changes noted before the index was needed are applied now.
      for (const l of this.replaced) {
        const old = this.tree.leaves[l];
        if (old) countLeaf(this.credCount, this.unsupported, old, -1);
      }
      for (const l of new Set([...this.sig.values()])) {
        const now = this.leaves[l];
        if (now) countLeaf(this.credCount, this.unsupported, now, 1);
      }
    }
    return { credCount: this.credCount, unsupported: this.unsupported, base: this.base };
  }

  /** Records that the epoch tree's leaf `l` is removed or replaced in this commit (call before editing it). */
  noteReplaced(l: number): void {
    if (this.replaced.has(l)) return;
    this.replaced.add(l);
    const old = this.tree.leaves[l];
    if (old && this.credCount && this.unsupported) countLeaf(this.credCount, this.unsupported, old, -1);
  }

  /** Records that leaf `l` now holds `leaf` (after an Update or Add). */
  noteSet(l: number, leaf: LeafNode): void {
    this.sig.set(toHex(leaf.signatureKey), l);
    this.enc.set(toHex(leaf.encryptionKey), l);
    if (this.credCount && this.unsupported) countLeaf(this.credCount, this.unsupported, leaf, 1);
  }

  /** Validates `leaf` for leaf position `at` with the given source; throws MlsError naming the broken rule. */
  check(leaf: LeafNode, at: number, source: LeafNodeSource['type'], verifySignature: boolean): void {
    if (leaf.leafNodeSource.type !== source) {
      throw new MlsError('leaf_source_invalid', `the LeafNode has leaf_node_source ${leaf.leafNodeSource.type}, expected ${source}`);
    }
    if (verifySignature && !verifyLeafNodeSignature(this.cs, leaf, this.group.groupId, at)) {
      throw new MlsError('leaf_signature_invalid', `the signature of the LeafNode for leaf ${at} does not verify`);
    }
    if (this.group.now !== undefined && leaf.leafNodeSource.type === 'key_package') {
      const { notBefore, notAfter } = leaf.leafNodeSource.lifetime;
      if (this.group.now < notBefore || this.group.now > notAfter) {
        throw new MlsError('leaf_lifetime_invalid', `the LeafNode is valid from ${notBefore} to ${notAfter}, not at ${this.group.now}`);
      }
    }
    const caps = leaf.capabilities;
    for (const e of leaf.extensions) {
      if (!DEFAULT_EXTENSIONS.has(e.extensionType) && !caps.extensions.includes(e.extensionType)) {
        throw new MlsError('capabilities_invalid', `the LeafNode uses extension ${e.extensionType} without listing it in its capabilities`);
      }
    }
    checkLeafSupportsGroup(leaf, this.group.extensions, this.required, 'the LeafNode');
    const myType = credentialTypeOf(leaf);
    if (!caps.credentials.includes(myType)) {
      throw new MlsError('capabilities_invalid', `the LeafNode's credential type ${myType} is not in its own capabilities`);
    }
    const current = this.leaves[at] ?? null;
    if (source === 'update' && current && bytesEqual(current.encryptionKey, leaf.encryptionKey)) {
      throw new MlsError('duplicate_encryption_key', `the Update for leaf ${at} keeps the old encryption key`);
    }
    const { credCount, unsupported, base } = this.counters();
    // The leaf now at `at` (being replaced) does not count against its successor.
    const selfUnsupports = current && !current.capabilities.credentials.includes(myType) ? 1 : 0;
    if ((unsupported.get(myType) ?? 0) - selfUnsupports > 0) {
      throw new MlsError('capabilities_invalid', `some member does not support credential type ${myType}`);
    }
    const selfType = current ? credentialTypeOf(current) : null;
    for (const [t, n] of credCount) {
      if (n - (selfType === t ? 1 : 0) > 0 && !caps.credentials.includes(t)) {
        throw new MlsError('capabilities_invalid', `the LeafNode does not support credential type ${t} used by other members`);
      }
    }
    this.checkUnique(base, 'sig', this.sig, leaf.signatureKey, at, 'duplicate_signature_key', 'signature');
    this.checkUnique(base, 'enc', this.enc, leaf.encryptionKey, at, 'duplicate_encryption_key', 'encryption');
  }

  private checkUnique(
    base: LeafKeyIndex,
    kind: 'sig' | 'enc',
    overlay: Map<string, number>,
    bytes: Uint8Array,
    at: number,
    code: 'duplicate_signature_key' | 'duplicate_encryption_key',
    what: string,
  ): void {
    const key = toHex(bytes);
    const o = overlay.get(key);
    if (o !== undefined && o !== at) throw new MlsError(code, `member ${o} already uses this ${what} key`);
    for (const b of holdersOf(base, this.tree, kind, key, bytes)) {
      if (b !== at && !this.replaced.has(b)) throw new MlsError(code, `member ${b} already uses this ${what} key`);
    }
  }

}
