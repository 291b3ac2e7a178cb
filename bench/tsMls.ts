// ts-mls 1.6.4 side of the MLS benchmark: the same operations as bench/mls.ts, through ts-mls's
// public API (async; its default crypto provider: WebCrypto through @hpke/core, noble signatures).
// Suite 1 (MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519), as on the Weft side.
//
// Shape: ts-mls cannot fill a tree of 2048 in reasonable time (each of its commits costs O(N)),
// so its group is what one add-all commit leaves: N leaves, every parent node blank (ts-mls sends
// no UpdatePath with an add-only commit). A commit from leaf 0 then encrypts its path secrets to
// all N-1 other leaves. bench/mls.ts prints the shape next to every ts-mls figure.
import {
  createApplicationMessage,
  createCommit,
  createGroup,
  defaultCapabilities,
  defaultLifetime,
  emptyPskIndex,
  generateKeyPackage,
  getCiphersuiteFromName,
  getCiphersuiteImpl,
  joinGroup,
  processPrivateMessage,
  processPublicMessage,
} from 'ts-mls';
import type { CiphersuiteImpl, ClientState, KeyPackage, PrivateKeyPackage, PrivateMessage, Proposal, PublicMessage, Welcome } from 'ts-mls';

/** A prospective ts-mls member. */
export interface TsMlsMember {
  readonly publicPackage: KeyPackage;
  readonly privatePackage: PrivateKeyPackage;
}

/** N KeyPackages and the one-member group of the first. */
export interface TsMlsSetup {
  readonly impl: CiphersuiteImpl;
  readonly members: readonly TsMlsMember[];
  /** Leaf 0 alone, epoch 0. */
  readonly creator: ClientState;
  /** Add proposals for members 1..N-1. */
  readonly adds: readonly Proposal[];
}

let implPromise: Promise<CiphersuiteImpl> | null = null;

/** Suite 1 with ts-mls's default crypto provider. */
export function tsMlsImpl(): Promise<CiphersuiteImpl> {
  implPromise ??= getCiphersuiteImpl(getCiphersuiteFromName('MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519'));
  return implPromise;
}

const enc = new TextEncoder();

/** Generates `n` KeyPackages and founds a group with the first. */
export async function prepareTsMls(n: number): Promise<TsMlsSetup> {
  const impl = await tsMlsImpl();
  const members: TsMlsMember[] = [];
  for (let i = 0; i < n; i++) {
    members.push(await generateKeyPackage({ credentialType: 'basic', identity: enc.encode(`member-${i}`) }, defaultCapabilities(), defaultLifetime, [], impl));
  }
  const first = members[0];
  if (!first) throw new Error('a ts-mls group needs a member');
  const creator = await createGroup(enc.encode(`ts-mls-bench-${n}`), first.publicPackage, first.privatePackage, [], impl);
  // ts-mls's Proposal union is discriminated by proposalType; an object literal with it narrows.
  const adds: Proposal[] = members.slice(1).map((m): Proposal => ({ proposalType: 'add', add: { keyPackage: m.publicPackage } }));
  return { impl, members, creator, adds };
}

/**
 * The add-(N-1) commit with its Welcome (ratchet tree in the GroupInfo, as in Weft's Welcome), as a
 * PublicMessage. ts-mls validates each added KeyPackage while applying the proposals.
 */
export async function tsMlsAddAll(s: TsMlsSetup): Promise<{ state: ClientState; welcome: Welcome }> {
  const r = await createCommit({ state: s.creator, cipherSuite: s.impl }, { extraProposals: [...s.adds], wireAsPublicMessage: true, ratchetTreeExtension: true });
  if (!r.welcome) throw new Error('ts-mls add-all commit produced no Welcome');
  return { state: r.newState, welcome: r.welcome };
}

/** Member `index` joins from the add-all Welcome (ts-mls validates the whole tree). */
export async function tsMlsJoin(s: TsMlsSetup, welcome: Welcome, index: number): Promise<ClientState> {
  const m = s.members[index];
  if (!m) throw new Error(`no ts-mls member ${index}`);
  return joinGroup(welcome, m.publicPackage, m.privatePackage, emptyPskIndex, s.impl);
}

/** An empty commit (UpdatePath only) as a PublicMessage, and the committer's next state. */
export async function tsMlsCommit(impl: CiphersuiteImpl, state: ClientState): Promise<{ commit: PublicMessage; state: ClientState }> {
  const r = await createCommit({ state, cipherSuite: impl }, { wireAsPublicMessage: true });
  if (r.commit.wireformat !== 'mls_public_message') throw new Error('ts-mls commit is not a PublicMessage');
  return { commit: r.commit.publicMessage, state: r.newState };
}

/** Processes a commit; returns the receiver's next state. */
export async function tsMlsProcess(impl: CiphersuiteImpl, state: ClientState, commit: PublicMessage): Promise<ClientState> {
  return (await processPublicMessage(state, commit, emptyPskIndex, impl)).newState;
}

/** Encrypts application data; returns the PrivateMessage and the sender's next state. */
export async function tsMlsEncrypt(impl: CiphersuiteImpl, state: ClientState, plaintext: Uint8Array): Promise<{ message: PrivateMessage; state: ClientState }> {
  const r = await createApplicationMessage(state, plaintext, impl);
  return { message: r.privateMessage, state: r.newState };
}

/** Decrypts application data; returns the plaintext and the receiver's next state. */
export async function tsMlsDecrypt(impl: CiphersuiteImpl, state: ClientState, message: PrivateMessage): Promise<{ plaintext: Uint8Array; state: ClientState }> {
  const r = await processPrivateMessage(state, message, emptyPskIndex, impl);
  if (r.kind !== 'applicationMessage') throw new Error('ts-mls: expected an application message');
  return { plaintext: r.message, state: r.newState };
}
