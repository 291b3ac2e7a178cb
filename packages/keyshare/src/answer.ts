// Answering a request: authenticate it, run the policy, then build the narrowest secret that
// decrypts what was asked (one sender's application ratchet from the first needed generation, or
// only retained per-generation keys when the ratchet has moved past them, plus a sender-data key
// per named message) and HPKE-encrypt it to the requester's device key. Pure: state in, new state
// and the reply bytes out; a refusal without a reply throws KeyshareError and changes nothing.
import type { CID } from 'multiformats/cid';
import type { CipherSuite } from '@weft/crypto';
import { CryptoError, encryptWithLabel } from '@weft/crypto';
import { bytesEqual, toHex } from '@weft/codec';
import {
  decodeSenderData,
  deriveSenderDataKeyAndNonce,
  encodeSenderDataAAD,
  exportSenderRatchet,
  leafIndex,
  MlsError,
  type MessageKey,
  type SecretTree,
} from '@weft/tree';
import { decodeCborMap, encodeCbor, FieldReader, readEntry } from './cbor.ts';
import { decodeDeviceBinding, type DeviceBinding, type DeviceIdentity } from './deviceIdentity.ts';
import { KeyshareError, type KeyshareErrorCode } from './errors.ts';
import { decodeKeyshareMessage, encodeKeyshareMessage, type KeyshareRequest, type WithheldReason } from './messages.ts';
import { checkRequestPolicy, replayKey, type AnswererState, type KeysharePolicy, type MembershipOracle } from './policy.ts';
import type { TrustView } from './trustStore.ts';
import { getSharded, setSharded } from './shardedMap.ts';

/** HPKE label of an answer's secret (EncryptWithLabel). */
export const ANSWER_LABEL = 'weft keyshare answer';
const EMPTY = new Uint8Array(0);

/** The secrets of one epoch that the answerer still holds. */
export interface EpochKeys {
  readonly groupId: Uint8Array;
  /** The epoch number inside the MLS messages. */
  readonly epoch: bigint;
  readonly secretTree: SecretTree;
  readonly senderDataSecret: Uint8Array;
}

/** Where an answerer finds an epoch's keys (the merge layer's worlds implement this). */
export interface EpochKeySource {
  /** The keys of the epoch, 'evicted' when retention dropped them, or null when never held. */
  getEpochKeys(group: CID, epoch: CID): EpochKeys | 'evicted' | null;
}

/** A sender-data key for one named message: decrypts that message's sender data and nothing else. */
export interface SenderDataKey {
  readonly cid: CID;
  readonly key: Uint8Array;
  readonly nonce: Uint8Array;
}

/** What an answer's ciphertext holds. */
export interface AnswerSecret {
  /** First generation the secret decrypts. */
  readonly generation: number;
  /** Generation of `secret` (>= generation). */
  readonly next: number;
  /** The sender's application ratchet secret of generation `next`; empty when only `keys` are needed. */
  readonly secret: Uint8Array;
  /** Retained message keys of needed generations below `next`. */
  readonly keys: readonly MessageKey[];
  readonly senderDataKeys: readonly SenderDataKey[];
}

/** Everything the answerer needs besides its state. */
export interface AnswererDeps {
  readonly cs: CipherSuite;
  readonly identity: DeviceIdentity;
  readonly policy: KeysharePolicy;
  readonly membership: MembershipOracle;
  readonly trust: TrustView;
  readonly keys: EpochKeySource;
}

/** A reply to a request: the key, or an explicit refusal. Either way `reply` goes back to the requester. */
export type AnswerOutcome =
  | { readonly kind: 'answered'; readonly state: AnswererState; readonly reply: Uint8Array; readonly request: KeyshareRequest; readonly shared: SharedSummary }
  | {
      readonly kind: 'withheld';
      readonly state: AnswererState;
      readonly reply: Uint8Array;
      readonly request: KeyshareRequest;
      readonly reason: WithheldReason;
      readonly code: KeyshareErrorCode;
      readonly detail: string;
    };

/** What left the device in an answer (for an exposure log; no secret bytes). */
export interface SharedSummary {
  readonly sender: number;
  readonly fromGeneration: number;
  readonly ratchetFrom: number | null;
  readonly keyGenerations: readonly number[];
  readonly senderDataKeys: number;
}

/**
 * Answers one request. Throws KeyshareError (no reply, state unchanged) for input that cannot be
 * answered at all: malformed, forged (signature or binding), wrong_recipient, expired, replayed.
 * Otherwise returns the signed answer or withheld reply; only an answer changes the state.
 */
export function answerRequest(deps: AnswererDeps, state: AnswererState, bytes: Uint8Array, now: number): AnswerOutcome {
  const { cs, identity } = deps;
  const { message } = decodeKeyshareMessage(cs, bytes);
  if (message.type !== 'request') throw new KeyshareError('malformed', `expected a request, got a ${message.type}`);
  const request = message;
  const me = identity.binding.sigKey;
  if (!bytesEqual(request.to, me)) throw new KeyshareError('wrong_recipient', 'the request is addressed to another device');
  let binding: DeviceBinding;
  try {
    binding = decodeDeviceBinding(cs, request.binding);
  } catch (err) {
    throw new KeyshareError('forged', `the request's device binding is invalid (${err instanceof Error ? err.message : String(err)})`);
  }
  if (!bytesEqual(binding.sigKey, request.from)) throw new KeyshareError('forged', 'the device binding belongs to another device');
  if (request.expires < now) throw new KeyshareError('expired', `the request expired at ${request.expires} (now ${now})`);
  if (request.expires > now + deps.policy.maxLifetimeMs) throw new KeyshareError('malformed', 'the request claims a lifetime longer than the policy allows');
  if (getSharded(state.seen, replayKey(request)) !== undefined || getSharded(state.seen, cancelKey(request.from, request.id)) !== undefined) {
    throw new KeyshareError('replayed', 'this request attempt was already answered or cancelled');
  }

  const withheld = (reason: WithheldReason, code: KeyshareErrorCode, detail: string): AnswerOutcome => ({
    kind: 'withheld',
    state,
    reply: encodeKeyshareMessage(cs, identity.signaturePrivateKey, {
      type: 'withheld',
      from: me,
      to: request.from,
      group: request.group,
      epoch: request.epoch,
      id: request.id,
      attempt: request.attempt,
      reason,
    }),
    request,
    reason,
    code,
    detail,
  });

  const decision = checkRequestPolicy(state, deps.policy, deps.membership, deps.trust, request, now);
  if (decision.kind === 'withhold') return withheld(decision.reason, decision.code, decision.detail);
  const keys = deps.keys.getEpochKeys(request.group, request.epoch);
  if (keys === null || keys === 'evicted') return withheld('unavailable', 'unavailable', keys === null ? 'this device never held that epoch' : 'this device evicted that epoch');
  let secret: AnswerSecret;
  try {
    secret = buildAnswerSecret(cs, keys, request);
  } catch (err) {
    // Whatever the held tree cannot give (bad leaf, used or evicted generations) is unavailable.
    if (err instanceof KeyshareError || err instanceof MlsError || err instanceof CryptoError || err instanceof RangeError) {
      return withheld('unavailable', 'unavailable', err.message);
    }
    throw err;
  }
  let sealed;
  try {
    sealed = encryptWithLabel(cs, binding.hpkeKey, ANSWER_LABEL, answerContext(request, me), encodeAnswerSecret(secret));
  } catch (err) {
    if (err instanceof CryptoError) throw new KeyshareError('bad_binding', `cannot encrypt to the binding's HPKE key: ${err.message}`);
    throw err;
  }
  const reply = encodeKeyshareMessage(cs, identity.signaturePrivateKey, {
    type: 'answer',
    from: me,
    to: request.from,
    group: request.group,
    epoch: request.epoch,
    id: request.id,
    attempt: request.attempt,
    sender: request.sender,
    kemOutput: sealed.kemOutput,
    ciphertext: sealed.ciphertext,
  });
  const shared: SharedSummary = {
    sender: request.sender,
    fromGeneration: secret.generation,
    ratchetFrom: secret.secret.length > 0 ? secret.next : null,
    keyGenerations: secret.keys.map((k) => k.generation),
    senderDataKeys: secret.senderDataKeys.length,
  };
  return { kind: 'answered', state: decision.state, reply, request, shared };
}

/**
 * Applies a cancel from a requester: later attempts of that request are refused as replayed.
 * Throws KeyshareError for a malformed, forged or misaddressed cancel (state unchanged).
 */
export function applyCancel(deps: Pick<AnswererDeps, 'cs' | 'identity' | 'policy'>, state: AnswererState, bytes: Uint8Array, now: number): AnswererState {
  const { message } = decodeKeyshareMessage(deps.cs, bytes);
  if (message.type !== 'cancel') throw new KeyshareError('malformed', `expected a cancel, got a ${message.type}`);
  if (!bytesEqual(message.to, deps.identity.binding.sigKey)) throw new KeyshareError('wrong_recipient', 'the cancel is addressed to another device');
  const key = cancelKey(message.from, message.id);
  if (getSharded(state.seen, key) !== undefined) return state;
  return { ...state, seen: setSharded(state.seen, key, now + deps.policy.maxLifetimeMs) };
}

function cancelKey(from: Uint8Array, id: Uint8Array): string {
  return `${toHex(from)}/${toHex(id)}/cancel`;
}

/** The HPKE context binding an answer to its request, group, epoch, sender, answerer and requester. */
export function answerContext(request: Pick<KeyshareRequest, 'id' | 'attempt' | 'group' | 'epoch' | 'sender' | 'from'>, answerer: Uint8Array): Uint8Array {
  return encodeCbor({ id: request.id, att: request.attempt, group: request.group, epoch: request.epoch, leaf: request.sender, answerer, requester: request.from });
}

/**
 * The narrowest secret for a request: which generations of the sender are needed (the range, or
 * the generations inside the named messages' sender data), the ratchet from the first of them, and
 * only the retained keys of needed generations. Messages whose sender data names another sender are
 * left out (their keys were not asked for). Throws KeyshareError or MlsError when nothing is held.
 */
export function buildAnswerSecret(cs: CipherSuite, keys: EpochKeys, request: Pick<KeyshareRequest, 'sender' | 'wanted'>): AnswerSecret {
  const leaf = leafIndex(request.sender);
  let needed: (g: number) => boolean;
  let first: number;
  let last: number;
  const senderDataKeys: SenderDataKey[] = [];
  if (request.wanted.kind === 'range') {
    const { from, to } = request.wanted;
    [first, last] = [from, to];
    needed = (g) => g >= from && g <= to;
  } else {
    const gens = new Set<number>();
    const aad = encodeSenderDataAAD(keys.groupId, keys.epoch, 'application');
    for (const ref of request.wanted.messages) {
      const { key, nonce } = deriveSenderDataKeyAndNonce(cs, keys.senderDataSecret, ref.sample);
      let leafOfMessage: number;
      let generation: number;
      try {
        const sd = decodeSenderData(cs.aeadOpen(key, nonce, aad, ref.esd));
        [leafOfMessage, generation] = [sd.leafIndex, sd.generation];
      } catch {
        continue; // not a message of this epoch (or tampered): nothing to share for it
      }
      if (leafOfMessage !== request.sender) continue;
      gens.add(generation);
      senderDataKeys.push({ cid: ref.cid, key, nonce });
    }
    if (gens.size === 0) throw new KeyshareError('unavailable', 'none of the named messages is from that sender in this epoch');
    first = Math.min(...gens);
    last = Math.max(...gens);
    needed = (g) => gens.has(g);
  }
  const exported = exportSenderRatchet(cs, keys.secretTree, leaf, 'application', first);
  const kept = exported.keys.filter((k) => needed(k.generation));
  // Ship the ratchet secret only when a needed generation lies at or past it.
  const secret = last >= exported.next ? exported.secret : EMPTY;
  if (secret.length === 0 && kept.length === 0) throw new KeyshareError('unavailable', 'the needed generations were already used or evicted here');
  return { generation: first, next: exported.next, secret, keys: kept, senderDataKeys };
}

/** Canonical encoding of an AnswerSecret (the HPKE plaintext). */
export function encodeAnswerSecret(s: AnswerSecret): Uint8Array {
  return encodeCbor({
    gen: s.generation,
    next: s.next,
    secret: s.secret,
    keys: s.keys.map((k) => ({ g: k.generation, k: k.key, n: k.nonce })),
    sdk: s.senderDataKeys.map((k) => ({ cid: k.cid, k: k.key, n: k.nonce })),
  });
}

/** Strictly decodes an AnswerSecret; throws KeyshareError. */
export function decodeAnswerSecret(cs: CipherSuite, bytes: Uint8Array): AnswerSecret {
  const r = new FieldReader(decodeCborMap(bytes, 64 * 1024, 'answer secret'), 'answer secret').onlyKeys(['gen', 'next', 'secret', 'keys', 'sdk']);
  const generation = r.uint('gen', 0xffffffff);
  const next = r.uint('next', 0x100000000);
  const secret = r.bytes('secret', 0, cs.Nh);
  if (secret.length !== 0 && secret.length !== cs.Nh) throw new KeyshareError('malformed', 'answer secret.secret has the wrong length');
  if (next < generation) throw new KeyshareError('malformed', 'answer secret.next is below its first generation');
  const keys = r.list('keys', 1024).map((x, i) => {
    const e = readEntry(x, `answer secret.keys[${i}]`).onlyKeys(['g', 'k', 'n']);
    return { generation: e.uint('g', 0xffffffff), key: e.bytes('k', cs.Nk, cs.Nk), nonce: e.bytes('n', cs.Nn, cs.Nn) };
  });
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as MessageKey;
    if (k.generation < generation || k.generation >= next || (i > 0 && k.generation <= (keys[i - 1] as MessageKey).generation)) {
      throw new KeyshareError('malformed', 'answer secret.keys must be ascending within [gen, next)');
    }
  }
  const senderDataKeys = r.list('sdk', 256).map((x, i) => {
    const e = readEntry(x, `answer secret.sdk[${i}]`).onlyKeys(['cid', 'k', 'n']);
    return { cid: e.cid('cid'), key: e.bytes('k', cs.Nk, cs.Nk), nonce: e.bytes('n', cs.Nn, cs.Nn) };
  });
  return { generation, next, secret, keys, senderDataKeys };
}

