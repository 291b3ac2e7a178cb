// Keyshare wire messages: request, answer, withheld, cancel. Each is one signed, strictly canonical
// DAG-CBOR map carried as a store-and-forward device message that any site may relay; sites see
// who asks whom about which epoch, never a secret (the answer's secret is HPKE-encrypted).
//
//   common   { v: 1, t, from: device key, to: device key, group: CID, epoch: CID, id: bytes(16), sig }
//   request  + { att, leaf, want: { from, to } | { msgs: [{ cid, esd, sample }] }, exp, bind }
//   answer   + { att, leaf, enc, ct }            (HPKE of AnswerSecret, see answer.ts)
//   withheld + { att, why }
//   cancel   (nothing more)
//
// sig = SignWithLabel(from's signature key, "weft keyshare v1", DAG-CBOR(map without sig)).
import type { CID } from 'multiformats/cid';
import type { CipherSuite } from '@weft/crypto';
import { signWithLabel, verifyWithLabel } from '@weft/crypto';
import { decodeCborMap, encodeCbor, FieldReader, readEntry, sliceWithoutKey, type Plain } from './cbor.ts';
import { KeyshareError } from './errors.ts';

/** Largest encoded keyshare message (like a DAG event). */
export const MAX_MESSAGE_BYTES = 64 * 1024;
/** Most messages one request may name. */
export const MAX_REQUESTED_MESSAGES = 256;
/** Length of a request id. */
export const REQUEST_ID_BYTES = 16;
const SIGN_LABEL = 'weft keyshare v1';
const MAX_U32 = 0xffffffff;

/** The reasons an answerer gives for not sending a key. */
export type WithheldReason = 'not_a_member' | 'untrusted' | 'rate_limited' | 'unavailable' | 'disabled';
/** Every withheld reason, in wire order. */
export const WITHHELD_REASONS: readonly WithheldReason[] = ['not_a_member', 'untrusted', 'rate_limited', 'unavailable', 'disabled'];

/** A message the requester cannot read, named by its event CID, with the public parts the answerer needs. */
export interface MessageRef {
  readonly cid: CID;
  /** The PrivateMessage's encrypted_sender_data. */
  readonly esd: Uint8Array;
  /** ciphertext_sample: the first Nh bytes of the PrivateMessage ciphertext. */
  readonly sample: Uint8Array;
}

/** What a request asks for, all from one sender: a generation range, or named messages. */
export type Wanted = { readonly kind: 'range'; readonly from: number; readonly to: number } | { readonly kind: 'messages'; readonly messages: readonly MessageRef[] };

/** Fields every keyshare message has. */
export interface MessageHeader {
  /** The signing device's key (signature public key). */
  readonly from: Uint8Array;
  /** The recipient device's key. */
  readonly to: Uint8Array;
  readonly group: CID;
  readonly epoch: CID;
  /** The requester's request id (the same on every attempt, answer, withheld and cancel). */
  readonly id: Uint8Array;
}

/** Asks one device for the keys of one sender in one epoch. */
export interface KeyshareRequest extends MessageHeader {
  readonly type: 'request';
  /** Attempt number: each retry is a new signed message, so replays are detectable. */
  readonly attempt: number;
  /** Sender leaf index in that epoch. */
  readonly sender: number;
  readonly wanted: Wanted;
  /** Time (ms) after which the request is void. */
  readonly expires: number;
  /** The requester's signed device binding (its HPKE key). */
  readonly binding: Uint8Array;
}

/** The key, HPKE-encrypted to the requester's device key. */
export interface KeyshareAnswer extends MessageHeader {
  readonly type: 'answer';
  readonly attempt: number;
  readonly sender: number;
  readonly kemOutput: Uint8Array;
  readonly ciphertext: Uint8Array;
}

/** An explicit refusal. */
export interface KeyshareWithheld extends MessageHeader {
  readonly type: 'withheld';
  readonly attempt: number;
  readonly reason: WithheldReason;
}

/** The requester no longer needs an answer (satisfied or expired). */
export interface KeyshareCancel extends MessageHeader {
  readonly type: 'cancel';
}

/** Any keyshare message. */
export type KeyshareMessage = KeyshareRequest | KeyshareAnswer | KeyshareWithheld | KeyshareCancel;

/** A decoded message whose signature verified. */
export interface VerifiedMessage<M extends KeyshareMessage = KeyshareMessage> {
  readonly message: M;
  readonly bytes: Uint8Array;
}

function toDataModel(m: KeyshareMessage): Plain {
  const out: Plain = { v: 1, t: m.type, from: m.from, to: m.to, group: m.group, epoch: m.epoch, id: m.id };
  switch (m.type) {
    case 'request':
      out['att'] = m.attempt;
      out['leaf'] = m.sender;
      out['want'] =
        m.wanted.kind === 'range'
          ? { from: m.wanted.from, to: m.wanted.to }
          : { msgs: m.wanted.messages.map((r) => ({ cid: r.cid, esd: r.esd, sample: r.sample })) };
      out['exp'] = m.expires;
      out['bind'] = m.binding;
      break;
    case 'answer':
      out['att'] = m.attempt;
      out['leaf'] = m.sender;
      out['enc'] = m.kemOutput;
      out['ct'] = m.ciphertext;
      break;
    case 'withheld':
      out['att'] = m.attempt;
      out['why'] = m.reason;
      break;
    case 'cancel':
      break;
  }
  return out;
}

/** Signs and encodes a keyshare message with the sender device's signature key. */
export function encodeKeyshareMessage(cs: CipherSuite, signaturePrivateKey: Uint8Array, message: KeyshareMessage): Uint8Array {
  const unsigned = toDataModel(message);
  const sig = signWithLabel(cs, signaturePrivateKey, SIGN_LABEL, encodeCbor(unsigned));
  const bytes = encodeCbor({ ...unsigned, sig });
  if (bytes.length > MAX_MESSAGE_BYTES) throw new KeyshareError('oversized', `keyshare message is ${bytes.length} bytes; the limit is ${MAX_MESSAGE_BYTES}`);
  return bytes;
}

const COMMON = ['v', 't', 'from', 'to', 'group', 'epoch', 'id', 'sig'];
const KEYS: Record<KeyshareMessage['type'], readonly string[]> = {
  request: [...COMMON, 'att', 'leaf', 'want', 'exp', 'bind'],
  answer: [...COMMON, 'att', 'leaf', 'enc', 'ct'],
  withheld: [...COMMON, 'att', 'why'],
  cancel: COMMON,
};

/**
 * Strictly decodes a keyshare message and verifies its signature under its `from` key. Throws
 * KeyshareError: oversized, truncated, malformed, non_canonical, unknown_field,
 * unsupported_version, or forged (the signature does not verify under `from`).
 */
export function decodeKeyshareMessage(cs: CipherSuite, bytes: Uint8Array): VerifiedMessage {
  const raw = decodeCborMap(bytes, MAX_MESSAGE_BYTES, 'keyshare message');
  const r = new FieldReader(raw, 'keyshare message');
  if (!r.has('v')) throw new KeyshareError('malformed', 'keyshare message.v is missing');
  if (r.uint('v', 0xffff) !== 1) throw new KeyshareError('unsupported_version', 'keyshare message version must be 1');
  const type = r.text('t', ['request', 'answer', 'withheld', 'cancel'] as const);
  r.onlyKeys(KEYS[type]);
  const header: MessageHeader = {
    from: r.bytes('from', 1, 255),
    to: r.bytes('to', 1, 255),
    group: r.cid('group'),
    epoch: r.cid('epoch'),
    id: r.bytes('id', REQUEST_ID_BYTES, REQUEST_ID_BYTES),
  };
  const sig = r.bytes('sig', 1, 255);
  let message: KeyshareMessage;
  switch (type) {
    case 'request':
      message = {
        type,
        ...header,
        attempt: r.uint('att', 0xffff),
        sender: r.uint('leaf', MAX_U32),
        wanted: readWanted(r.map_('want'), cs),
        expires: r.uint('exp', Number.MAX_SAFE_INTEGER),
        binding: r.bytes('bind', 1, 1024),
      };
      break;
    case 'answer':
      message = { type, ...header, attempt: r.uint('att', 0xffff), sender: r.uint('leaf', MAX_U32), kemOutput: r.bytes('enc', cs.Npk, cs.Npk), ciphertext: r.bytes('ct', 1, MAX_MESSAGE_BYTES) };
      break;
    case 'withheld':
      message = { type, ...header, attempt: r.uint('att', 0xffff), reason: r.text('why', WITHHELD_REASONS) };
      break;
    case 'cancel':
      message = { type, ...header };
      break;
  }
  // The signing payload is the canonical encoding without `sig`: cut out of the (canonical) bytes.
  const payload = sliceWithoutKey(bytes, 'sig') ?? encodeWithoutSig(raw);
  let ok = false;
  try {
    ok = verifyWithLabel(cs, header.from, SIGN_LABEL, payload, sig);
  } catch {
    ok = false; // a malformed key is as forged as a wrong signature
  }
  if (!ok) throw new KeyshareError('forged', `the ${type}'s signature does not verify under its sender's key`);
  return { message, bytes };
}

function encodeWithoutSig(raw: Plain): Uint8Array {
  const { sig: _sig, ...unsigned } = raw;
  return encodeCbor(unsigned);
}

function readWanted(w: FieldReader, cs: CipherSuite): Wanted {
  if (w.has('msgs')) {
    w.onlyKeys(['msgs']);
    const list = w.list('msgs', MAX_REQUESTED_MESSAGES);
    if (list.length === 0) throw new KeyshareError('malformed', 'a request must name at least one message');
    const messages = list.map((x, i) => {
      const e = readEntry(x, `want.msgs[${i}]`).onlyKeys(['cid', 'esd', 'sample']);
      return { cid: e.cid('cid'), esd: e.bytes('esd', 1, 255), sample: e.bytes('sample', 1, cs.Nh) };
    });
    return { kind: 'messages', messages };
  }
  w.onlyKeys(['from', 'to']);
  const from = w.uint('from', MAX_U32);
  const to = w.uint('to', MAX_U32);
  if (to < from) throw new KeyshareError('malformed', `generation range ${from}..${to} is empty`);
  return { kind: 'range', from, to };
}
