import { fromHex, toHex } from '@weft/codec';
import type { CipherSuite } from '@weft/crypto';
import {
  MlsError,
  attachConfirmationTag,
  computeMembershipTag,
  createFramingContext,
  createSecretTree,
  decodeMlsMessage,
  encodeCommit,
  encodeFramedContentTBS,
  encodeMlsMessage,
  encodeProposal,
  protectPrivateMessage,
  protectPublicMessage,
  signFramedContent,
  unprotectPrivateMessage,
  unprotectPublicMessage,
  type AuthenticatedContent,
  type FramedContent,
  type FramingContext,
  type GroupContext,
  type MessageContent,
  type SignatureKeyLookup,
} from '@weft/tree';
import { expectEqual, VectorMismatch, type VectorChecker, type VectorCase } from '../checker.ts';

const SENDER = 1;
const LEAVES = 2;

/** Hex of the content body as the vector gives it: a serialized Proposal or Commit, or raw application data. */
function bodyHex(c: MessageContent): string {
  if (c.contentType === 'application') return toHex(c.applicationData);
  if (c.contentType === 'proposal') return toHex(encodeProposal(c.proposal));
  return toHex(encodeCommit(c.commit));
}

function expectMlsError(what: string, code: string, f: () => unknown): void {
  try {
    f();
  } catch (err) {
    if (err instanceof MlsError && err.code === code) return;
    throw new VectorMismatch(`${what}: expected MlsError ${code}, got ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
  }
  throw new VectorMismatch(`${what}: expected MlsError ${code}, but it succeeded`);
}

interface Setup {
  cs: CipherSuite;
  ctx: FramingContext;
  gc: GroupContext;
  encryptionSecret: Uint8Array;
  signaturePriv: Uint8Array;
  lookup: SignatureKeyLookup;
}

function unprotect(s: Setup, hex: Uint8Array): AuthenticatedContent {
  const m = decodeMlsMessage(hex);
  if (m.wireFormat === 'public_message') return unprotectPublicMessage(s.cs, s.ctx, m.publicMessage, s.lookup);
  if (m.wireFormat === 'private_message') {
    return unprotectPrivateMessage(s.cs, s.ctx, createSecretTree(s.encryptionSecret, LEAVES), m.privateMessage, s.lookup).authenticatedContent;
  }
  throw new VectorMismatch(`unexpected wire format ${m.wireFormat}`);
}

function checkOne(s: Setup, name: string, body: MessageContent, expectedHex: string, pub: string | null, priv: string): void {
  // The vector's own messages.
  if (pub !== null) {
    const ac = unprotect(s, fromHex(pub));
    expectEqual(`${name}_pub content`, bodyHex(ac.content), expectedHex);
  }
  const acPriv = unprotect(s, fromHex(priv));
  expectEqual(`${name}_priv content`, bodyHex(acPriv.content), expectedHex);
  expectEqual(`${name}_priv sender`, acPriv.content.sender.senderType === 'member' ? acPriv.content.sender.leafIndex : -1, SENDER);

  // Re-protect both ways and round-trip through the wire encoding.
  const content: FramedContent = {
    groupId: s.ctx.groupId,
    epoch: s.ctx.epoch,
    sender: { senderType: 'member', leafIndex: SENDER },
    authenticatedData: new Uint8Array(0),
    ...body,
  };
  const tag = body.contentType === 'commit' ? s.cs.hmac(new Uint8Array(s.cs.Nh), new Uint8Array(0)) : null;
  const sign = (wf: 'public_message' | 'private_message'): AuthenticatedContent => {
    const ac = signFramedContent(s.cs, s.ctx.groupContext, wf, content, s.signaturePriv);
    return tag === null ? ac : attachConfirmationTag(ac, tag);
  };
  if (body.contentType === 'application') {
    const ac = sign('public_message');
    expectMlsError('application as PublicMessage (protect)', 'application_in_public_message', () => protectPublicMessage(s.cs, s.ctx, ac));
    const tbs = encodeFramedContentTBS('public_message', content, s.gc);
    const forged = { content, auth: ac.auth, membershipTag: computeMembershipTag(s.cs, s.ctx.membershipKey, tbs, ac.auth, 'application') };
    const bytes = encodeMlsMessage({ wireFormat: 'public_message', publicMessage: forged });
    expectMlsError('application as PublicMessage (unprotect)', 'application_in_public_message', () => unprotect(s, bytes));
  } else {
    const pm = protectPublicMessage(s.cs, s.ctx, sign('public_message'));
    const back = unprotect(s, encodeMlsMessage({ wireFormat: 'public_message', publicMessage: pm }));
    expectEqual(`${name} re-protected public content`, bodyHex(back.content), expectedHex);
  }
  const sent = protectPrivateMessage(s.cs, s.ctx, createSecretTree(s.encryptionSecret, LEAVES), sign('private_message'), { paddingLength: 7 });
  const back = unprotect(s, encodeMlsMessage({ wireFormat: 'private_message', privateMessage: sent.message }));
  expectEqual(`${name} re-protected private content`, bodyHex(back.content), expectedHex);
}

/** RFC 9420 section 6 PublicMessage / PrivateMessage protection, against message-protection.json. */
export const checker: VectorChecker = {
  file: 'message-protection.json',
  usesProvider: true,
  suiteOf: (tc) => Number(tc.cipher_suite),
  check(tc: VectorCase, cs: CipherSuite | null): void {
    if (!cs) throw new VectorMismatch('needs a cipher suite');
    const gc: GroupContext = {
      cipherSuite: cs.id,
      groupId: fromHex(String(tc.group_id)),
      epoch: BigInt(Number(tc.epoch)),
      treeHash: fromHex(String(tc.tree_hash)),
      confirmedTranscriptHash: fromHex(String(tc.confirmed_transcript_hash)),
      extensions: [],
    };
    const signaturePub = fromHex(String(tc.signature_pub));
    const s: Setup = {
      cs,
      gc,
      ctx: createFramingContext(gc, { membershipKey: fromHex(String(tc.membership_key)), senderDataSecret: fromHex(String(tc.sender_data_secret)) }),
      encryptionSecret: fromHex(String(tc.encryption_secret)),
      signaturePriv: fromHex(String(tc.signature_priv)),
      lookup: (c) => (c.sender.senderType === 'member' && c.sender.leafIndex === SENDER ? signaturePub : null),
    };
    const proposalMsg = decodeMlsMessage(fromHex(String(tc.proposal_pub)));
    if (proposalMsg.wireFormat !== 'public_message' || proposalMsg.publicMessage.content.contentType !== 'proposal') throw new VectorMismatch('proposal_pub is not a proposal');
    const commitMsg = decodeMlsMessage(fromHex(String(tc.commit_pub)));
    if (commitMsg.wireFormat !== 'public_message' || commitMsg.publicMessage.content.contentType !== 'commit') throw new VectorMismatch('commit_pub is not a commit');

    checkOne(s, 'proposal', { contentType: 'proposal', proposal: proposalMsg.publicMessage.content.proposal }, String(tc.proposal), String(tc.proposal_pub), String(tc.proposal_priv));
    checkOne(s, 'commit', { contentType: 'commit', commit: commitMsg.publicMessage.content.commit }, String(tc.commit), String(tc.commit_pub), String(tc.commit_priv));
    const app = fromHex(String(tc.application));
    checkOne(s, 'application', { contentType: 'application', applicationData: app }, toHex(app), null, String(tc.application_priv));
  },
};
