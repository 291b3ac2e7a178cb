// RFC 9420 section 7.3 LeafNode validation against a group, shaped for commits: a commit may carry
// one leaf (its path) or thousands (an add-all commit), so uniqueness is checked by a scan for a
// few leaves and through a key index, built once per commit, for many.

import { bytesEqual, CodecError, decode, toHex } from '@weft/codec';
import type { CipherSuite } from '@weft/crypto';
import { MlsError } from '../errors.ts';
import { verifyLeafNodeSignature } from '../ratchetTree/leafNodeSignature.ts';
import { readRequiredCapabilities, type RequiredCapabilities } from '../wire/capabilities.ts';
import { ExtensionType, type Extension } from '../wire/extension.ts';
import type { LeafNode, LeafNodeSource } from '../wire/leafNode.ts';

const DEFAULT_EXTENSIONS: ReadonlySet<number> = new Set(Object.values(ExtensionType));
const DEFAULT_PROPOSALS: ReadonlySet<number> = new Set([1, 2, 3, 4, 5, 6, 7]);
/** Above this many leaves to check in one commit, an index beats a scan per leaf. */
const INDEX_THRESHOLD = 8;

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
 * Checks LeafNodes entering one tree (section 7.3): source, signature (optional, when a caller has
 * verified it already), lifetime if a clock is given, extensions listed in capabilities, the
 * group's required capabilities, credential types supported both ways, signature_key and
 * encryption_key unique among the other leaves, and an Update's new encryption_key.
 */
export class LeafChecker {
  private readonly required: RequiredCapabilities | null;
  private index: { sig: Map<string, number>; enc: Map<string, number>; creds: Map<number, number>; unsupported: Map<number, number> } | null = null;

  /** `leaves` is the live leaf array being edited (a TreeDraft's), read at each check. */
  constructor(
    private readonly cs: CipherSuite,
    private readonly leaves: readonly (LeafNode | null)[],
    private readonly group: LeafCheckGroup,
    expectedChecks: number,
  ) {
    this.required = readRequiredCapabilitiesExtension(group.extensions);
    if (expectedChecks > INDEX_THRESHOLD) this.buildIndex();
  }

  private buildIndex(): void {
    const sig = new Map<string, number>();
    const enc = new Map<string, number>();
    const creds = new Map<number, number>();
    const unsupported = new Map<number, number>();
    this.leaves.forEach((leaf, l) => {
      if (leaf) this.indexLeaf(leaf, l, sig, enc, creds, unsupported);
    });
    this.index = { sig, enc, creds, unsupported };
  }

  private indexLeaf(leaf: LeafNode, l: number, sig: Map<string, number>, enc: Map<string, number>, creds: Map<number, number>, unsupported: Map<number, number>): void {
    sig.set(toHex(leaf.signatureKey), l);
    enc.set(toHex(leaf.encryptionKey), l);
    const t = credentialTypeOf(leaf);
    creds.set(t, (creds.get(t) ?? 0) + 1);
    // Count, per credential type in use, the members that do not support it (basic and x509 only).
    for (const u of [1, 2]) if (!leaf.capabilities.credentials.includes(u)) unsupported.set(u, (unsupported.get(u) ?? 0) + 1);
  }

  /** Records that `leaf` now occupies leaf `l` (after an Add), keeping the index current. */
  noteAdded(leaf: LeafNode, l: number): void {
    if (this.index) this.indexLeaf(leaf, l, this.index.sig, this.index.enc, this.index.creds, this.index.unsupported);
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
    const replaced = this.leaves[at] ?? null;
    if (source === 'update' && replaced && bytesEqual(replaced.encryptionKey, leaf.encryptionKey)) {
      throw new MlsError('duplicate_encryption_key', `the Update for leaf ${at} keeps the old encryption key`);
    }
    if (this.index) this.checkIndexed(leaf, at, myType);
    else this.checkByScan(leaf, at, myType);
  }

  private checkIndexed(leaf: LeafNode, at: number, myType: number): void {
    const idx = this.index;
    if (!idx) return;
    const replaced = this.leaves[at] ?? null;
    // A leaf being replaced (update, commit) does not count against itself.
    const selfType = replaced ? credentialTypeOf(replaced) : null;
    const selfUnsupports = (t: number): number => (replaced && !replaced.capabilities.credentials.includes(t) ? 1 : 0);
    if ((idx.unsupported.get(myType) ?? 0) - selfUnsupports(myType) > 0) {
      throw new MlsError('capabilities_invalid', `some member does not support credential type ${myType}`);
    }
    for (const [t, n] of idx.creds) {
      const others = n - (selfType === t ? 1 : 0);
      if (others > 0 && !leaf.capabilities.credentials.includes(t)) {
        throw new MlsError('capabilities_invalid', `the LeafNode does not support credential type ${t} used by other members`);
      }
    }
    const s = idx.sig.get(toHex(leaf.signatureKey));
    if (s !== undefined && s !== at && this.leaves[s]) throw new MlsError('duplicate_signature_key', `member ${s} already uses this signature key`);
    const e = idx.enc.get(toHex(leaf.encryptionKey));
    if (e !== undefined && e !== at && this.leaves[e]) throw new MlsError('duplicate_encryption_key', `member ${e} already uses this encryption key`);
  }

  private checkByScan(leaf: LeafNode, at: number, myType: number): void {
    const caps = leaf.capabilities;
    const n = this.leaves.length;
    for (let l = 0; l < n; l++) {
      const other = this.leaves[l];
      if (!other || l === at) continue;
      if (!other.capabilities.credentials.includes(myType)) throw new MlsError('capabilities_invalid', `member ${l} does not support credential type ${myType}`);
      if (!caps.credentials.includes(credentialTypeOf(other))) {
        throw new MlsError('capabilities_invalid', `the LeafNode does not support credential type ${credentialTypeOf(other)} used by member ${l}`);
      }
      if (bytesEqual(other.signatureKey, leaf.signatureKey)) throw new MlsError('duplicate_signature_key', `member ${l} already uses this signature key`);
      if (bytesEqual(other.encryptionKey, leaf.encryptionKey)) throw new MlsError('duplicate_encryption_key', `member ${l} already uses this encryption key`);
    }
  }
}
