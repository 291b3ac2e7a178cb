// Crypto primitives, side by side in one run: the raw node:crypto call that the node provider
// wraps (keys pre-imported as KeyObjects), the node provider, and the noble provider.
// Usage: pnpm bench crypto
import {
  createCipheriv,
  createDecipheriv,
  createECDH,
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  hkdfSync,
  randomBytes,
  sign as nodeSign,
  verify as nodeVerify,
} from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { concatBytes, utf8 } from '@weft/codec';
import { getCipherSuite } from '@weft/crypto';
import type { CipherSuite } from '@weft/crypto';
import { createNoblePrimitives } from '../packages/crypto/src/nobleProvider.ts';
import { createNodePrimitives } from '../packages/crypto/src/nodeProvider.ts';
import { SUITE_PARAMS } from '../packages/crypto/src/suites.ts';
import { formatUs, measure, printTable, summarize } from './harness.ts';
import type { BenchRow, MeasureOptions } from './harness.ts';

type Impl = 'raw node' | 'node provider' | 'noble';

interface OpSpec {
  name: string;
  raw?: () => unknown;
  node: () => unknown;
  noble: () => unknown;
  /** Calls per sample for fast operations. */
  batch?: number;
  /** A comparison row, not a wrapped call: excluded from the overhead bar. */
  reference?: boolean;
  /** Why this op may exceed the overhead bar, printed when it does. */
  note?: string;
}

const OVERHEAD_BAR_PERCENT = 20;
const ROUNDS = 8;
const ROUND_MS = 60;

/** Per-call samples (us) of `fn` for about `ms` milliseconds, `batch` calls per sample. */
function sample(fn: () => unknown, batch: number, ms: number): number[] {
  const out: number[] = [];
  const end = performance.now() + ms;
  while (out.length < 5 || performance.now() < end) {
    const t0 = performance.now();
    for (let j = 0; j < batch; j++) fn();
    out.push(((performance.now() - t0) * 1000) / batch);
  }
  return out;
}

const X25519_PKCS8 = Buffer.from('302e020100300506032b656e04220420', 'hex');
const ED25519_PKCS8 = Buffer.from('302e020100300506032b657004220420', 'hex');
const X25519_SPKI = Buffer.from('302a300506032b656e032100', 'hex');
const ED25519_SPKI = Buffer.from('302a300506032b6570032100', 'hex');

const b64 = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64url');

/** Runs the crypto section and returns one row per (operation, implementation). */
export async function run(): Promise<BenchRow[]> {
  const node1 = getCipherSuite(1, 'node');
  const noble1 = getCipherSuite(1, 'noble');
  const node2 = getCipherSuite(2, 'node');
  const noble2 = getCipherSuite(2, 'noble');
  const node3 = getCipherSuite(3, 'node');
  const noble3 = getCipherSuite(3, 'noble');
  const nodePrims1 = createNodePrimitives(SUITE_PARAMS[1]);
  const noblePrims1 = createNoblePrimitives(SUITE_PARAMS[1]);
  const nodePrims2 = createNodePrimitives(SUITE_PARAMS[2]);
  const noblePrims2 = createNoblePrimitives(SUITE_PARAMS[2]);

  const msg = new Uint8Array(randomBytes(100));
  const key32 = new Uint8Array(randomBytes(32));
  const salt = new Uint8Array(randomBytes(32));
  const info = utf8('weft bench info');
  const aad = new Uint8Array(randomBytes(20));
  const aesKey = new Uint8Array(randomBytes(16));
  const chachaKey = new Uint8Array(randomBytes(32));
  const nonce = new Uint8Array(randomBytes(12));
  const ONE = Uint8Array.of(1);

  // Key material: raw bytes for the providers, pre-imported KeyObjects for the raw calls.
  const kemR = node1.kemGenerateKeyPair();
  const kemPeer = node1.kemGenerateKeyPair();
  const sig = node1.signatureGenerateKeyPair();
  const xSk = createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d: b64(kemR.privateKey), x: '' }, format: 'jwk' });
  const xPk = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: b64(kemPeer.publicKey) }, format: 'jwk' });
  const edSk = createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', d: b64(sig.privateKey), x: '' }, format: 'jwk' });
  const edPk = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64(sig.publicKey) }, format: 'jwk' });
  const edSig = node1.sign(sig.privateKey, msg);

  const ecSig = node2.signatureGenerateKeyPair();
  const ecPub = ecSig.publicKey;
  const ecSk = createPrivateKey({
    key: { kty: 'EC', crv: 'P-256', d: b64(ecSig.privateKey), x: b64(ecPub.subarray(1, 33)), y: b64(ecPub.subarray(33)) },
    format: 'jwk',
  });
  const ecPk = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: b64(ecPub.subarray(1, 33)), y: b64(ecPub.subarray(33)) }, format: 'jwk' });
  const ecSignature = node2.sign(ecSig.privateKey, msg);
  const p256R = node2.kemGenerateKeyPair();
  const p256Peer = node2.kemGenerateKeyPair();
  const p256Ecdh = createECDH('prime256v1');
  p256Ecdh.setPrivateKey(p256R.privateKey);

  const aesBox = node1.aeadSeal(aesKey, nonce, aad, msg);
  const hpke1 = node1.hpkeSeal(kemR.publicKey, info, aad, msg);
  const hpke2 = node2.hpkeSeal(p256R.publicKey, info, aad, msg);

  const rawAesSeal = (alg: 'aes-128-gcm' | 'chacha20-poly1305', k: Uint8Array): Buffer => {
    const c = alg === 'aes-128-gcm' ? createCipheriv(alg, k, nonce, { authTagLength: 16 }) : createCipheriv(alg, k, nonce, { authTagLength: 16 });
    c.setAAD(aad, { plaintextLength: msg.length });
    return Buffer.concat([c.update(msg), c.final(), c.getAuthTag()]);
  };
  const rawHpke = rawHpkeX25519(kemR.publicKey);

  const ops: OpSpec[] = [
    {
      name: 'SHA-256, 100 B',
      raw: () => createHash('sha256').update(msg).digest(),
      node: () => node1.hash(msg),
      noble: () => noble1.hash(msg),
      batch: 50,
    },
    {
      name: 'HMAC-SHA256, 100 B',
      raw: () => createHmac('sha256', key32).update(msg).digest(),
      node: () => node1.hmac(key32, msg),
      noble: () => noble1.hmac(key32, msg),
      batch: 50,
    },
    {
      name: 'HKDF extract+expand (32 B)',
      raw: () => {
        const prk = createHmac('sha256', salt).update(key32).digest();
        return createHmac('sha256', prk).update(info).update(ONE).digest();
      },
      node: () => node1.kdfExpand(node1.kdfExtract(salt, key32), info, 32),
      noble: () => noble1.kdfExpand(noble1.kdfExtract(salt, key32), info, 32),
      batch: 50,
    },
    {
      name: 'HKDF via crypto.hkdfSync (reference)',
      raw: () => hkdfSync('sha256', key32, salt, info, 32),
      reference: true,
      node: () => node1.kdfExpand(node1.kdfExtract(salt, key32), info, 32),
      noble: () => noble1.kdfExpand(noble1.kdfExtract(salt, key32), info, 32),
      batch: 50,
    },
    {
      name: 'AES-128-GCM seal, 100 B',
      raw: () => rawAesSeal('aes-128-gcm', aesKey),
      node: () => node1.aeadSeal(aesKey, nonce, aad, msg),
      noble: () => noble1.aeadSeal(aesKey, nonce, aad, msg),
      batch: 20,
    },
    {
      name: 'AES-128-GCM open, 100 B',
      raw: () => {
        const d = createDecipheriv('aes-128-gcm', aesKey, nonce, { authTagLength: 16 });
        d.setAuthTag(aesBox.subarray(100));
        d.setAAD(aad);
        const body = d.update(aesBox.subarray(0, 100));
        d.final();
        return body;
      },
      node: () => node1.aeadOpen(aesKey, nonce, aad, aesBox),
      noble: () => noble1.aeadOpen(aesKey, nonce, aad, aesBox),
      batch: 20,
    },
    {
      name: 'ChaCha20-Poly1305 seal, 100 B',
      raw: () => rawAesSeal('chacha20-poly1305', chachaKey),
      node: () => node3.aeadSeal(chachaKey, nonce, aad, msg),
      noble: () => noble3.aeadSeal(chachaKey, nonce, aad, msg),
      batch: 20,
    },
    {
      // The provider's DH takes the peer key as bytes (an HPKE kemOutput is new every time, so it is
      // imported per call); the raw call gets both keys pre-imported.
      name: 'X25519 DH (peer key as bytes)',
      raw: () => diffieHellman({ privateKey: xSk, publicKey: xPk }),
      node: () => nodePrims1.dh(kemR.privateKey, kemPeer.publicKey),
      noble: () => noblePrims1.dh(kemR.privateKey, kemPeer.publicKey),
      note:
        'the provider gets the peer key as bytes and must import it (JWK, ~10 us) on every call, because an HPKE ' +
        'kemOutput is new each time; caching it would only flatter this row. With the import on the raw side too ' +
        '(next row) the provider is at parity.',
    },
    {
      name: 'X25519 DH, raw also imports the peer (JWK)',
      raw: () => diffieHellman({ privateKey: xSk, publicKey: createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: b64(kemPeer.publicKey) }, format: 'jwk' }) }),
      node: () => nodePrims1.dh(kemR.privateKey, kemPeer.publicKey),
      noble: () => noblePrims1.dh(kemR.privateKey, kemPeer.publicKey),
      reference: true,
    },
    {
      name: 'P-256 ECDH (peer key as bytes)',
      raw: () => p256Ecdh.computeSecret(p256Peer.publicKey),
      node: () => nodePrims2.dh(p256R.privateKey, p256Peer.publicKey),
      noble: () => noblePrims2.dh(p256R.privateKey, p256Peer.publicKey),
    },
    {
      name: 'HPKE seal X25519/AES-GCM, 100 B',
      raw: () => rawHpke.seal(info, aad, msg),
      node: () => node1.hpkeSeal(kemR.publicKey, info, aad, msg),
      noble: () => noble1.hpkeSeal(kemR.publicKey, info, aad, msg),
    },
    {
      name: 'HPKE open X25519/AES-GCM, 100 B',
      raw: () => rawHpke.open(xSk, hpke1.kemOutput, info, aad, hpke1.ciphertext),
      node: () => node1.hpkeOpen(kemR.privateKey, hpke1.kemOutput, info, aad, hpke1.ciphertext),
      noble: () => noble1.hpkeOpen(kemR.privateKey, hpke1.kemOutput, info, aad, hpke1.ciphertext),
    },
    {
      name: 'HPKE seal P-256/AES-GCM, 100 B',
      node: () => node2.hpkeSeal(p256R.publicKey, info, aad, msg),
      noble: () => noble2.hpkeSeal(p256R.publicKey, info, aad, msg),
    },
    {
      name: 'HPKE open P-256/AES-GCM, 100 B',
      node: () => node2.hpkeOpen(p256R.privateKey, hpke2.kemOutput, info, aad, hpke2.ciphertext),
      noble: () => noble2.hpkeOpen(p256R.privateKey, hpke2.kemOutput, info, aad, hpke2.ciphertext),
    },
    {
      name: 'Ed25519 sign, 100 B',
      raw: () => nodeSign(null, msg, edSk),
      node: () => node1.sign(sig.privateKey, msg),
      noble: () => noble1.sign(sig.privateKey, msg),
    },
    {
      name: 'Ed25519 verify, 100 B',
      raw: () => nodeVerify(null, msg, edPk, edSig),
      node: () => node1.verify(sig.publicKey, msg, edSig),
      noble: () => noble1.verify(sig.publicKey, msg, edSig),
    },
    {
      name: 'ECDSA P-256 sign, 100 B',
      raw: () => nodeSign('sha256', msg, ecSk),
      node: () => node2.sign(ecSig.privateKey, msg),
      noble: () => noble2.sign(ecSig.privateKey, msg),
    },
    {
      name: 'ECDSA P-256 verify, 100 B',
      raw: () => nodeVerify('sha256', msg, ecPk, ecSignature),
      node: () => node2.verify(ecPub, msg, ecSignature),
      noble: () => noble2.verify(ecPub, msg, ecSignature),
    },
  ];

  // The machine is shared (other builds and tests run alongside), so each op is measured in
  // interleaved rounds (raw, node, noble, raw, node, ...) and the pooled samples summarised: a
  // load spike then hits all three columns alike instead of skewing one of them.
  const rows: BenchRow[] = [];
  const table: string[][] = [];
  const over: string[] = [];
  for (const op of ops) {
    const batch = op.batch ?? 1;
    for (let w = 0; w < 20; w++) {
      op.raw?.();
      op.node();
      op.noble();
    }
    const pooled: Record<'raw' | 'node' | 'noble', number[]> = { raw: [], node: [], noble: [] };
    for (let round = 0; round < ROUNDS; round++) {
      if (op.raw) pooled.raw.push(...sample(op.raw, batch, ROUND_MS));
      pooled.node.push(...sample(op.node, batch, ROUND_MS));
      if (round % 2 === 0) pooled.noble.push(...sample(op.noble, batch, ROUND_MS));
    }
    const m = {
      raw: op.raw ? summarize(pooled.raw) : undefined,
      node: summarize(pooled.node),
      noble: summarize(pooled.noble),
    };
    const overhead = m.raw ? (m.node.medianUs / m.raw.medianUs - 1) * 100 : undefined;
    const ratio = m.noble.medianUs / m.node.medianUs;
    const push = (impl: Impl, r: Pick<BenchRow, 'medianUs' | 'p10Us' | 'p90Us' | 'samples'>, extra?: BenchRow['extra']): void => {
      rows.push({ section: 'crypto', name: op.name, params: { impl }, ...r, ...(extra ? { extra } : {}) });
    };
    if (m.raw) push('raw node', m.raw);
    push('node provider', m.node, overhead === undefined ? undefined : { overheadPercent: round1(overhead) });
    push('noble', m.noble, { nobleOverNode: round1(ratio) });
    if (overhead !== undefined && overhead > OVERHEAD_BAR_PERCENT && !op.reference) {
      over.push(`${op.name} (${overhead.toFixed(1)}%)${op.note ? `: ${op.note}` : ''}`);
    }
    table.push([
      op.name,
      m.raw ? formatUs(m.raw.medianUs) : '-',
      formatUs(m.node.medianUs),
      overhead === undefined ? '-' : `${overhead >= 0 ? '+' : ''}${overhead.toFixed(1)}%`,
      formatUs(m.noble.medianUs),
      `${ratio.toFixed(1)}x`,
    ]);
  }
  printTable('crypto: raw node:crypto vs node provider vs noble (medians per call)', ['op', 'raw node', 'node provider', 'overhead %', 'noble', 'noble/node'], table);

  // Key import: why the node provider imports raw keys as JWK.
  const seeds = Array.from({ length: 64 }, () => new Uint8Array(randomBytes(32)));
  const xPubs = seeds.map((s) => node1.kemPublicKey(s));
  const edPubs = seeds.map((s) => node1.signaturePublicKey(s));
  let i = 0;
  const next = (): number => (i = (i + 1) & 63);
  const importOps: [string, () => unknown, () => unknown][] = [
    [
      'X25519 private key',
      () => createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d: b64(seeds[next()] as Uint8Array), x: '' }, format: 'jwk' }),
      () => createPrivateKey({ key: Buffer.concat([X25519_PKCS8, seeds[next()] as Uint8Array]), format: 'der', type: 'pkcs8' }),
    ],
    [
      'X25519 public key',
      () => createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: b64(xPubs[next()] as Uint8Array) }, format: 'jwk' }),
      () => createPublicKey({ key: Buffer.concat([X25519_SPKI, xPubs[next()] as Uint8Array]), format: 'der', type: 'spki' }),
    ],
    [
      'Ed25519 private key',
      () => createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', d: b64(seeds[next()] as Uint8Array), x: '' }, format: 'jwk' }),
      () => createPrivateKey({ key: Buffer.concat([ED25519_PKCS8, seeds[next()] as Uint8Array]), format: 'der', type: 'pkcs8' }),
    ],
    [
      'Ed25519 public key',
      () => createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64(edPubs[next()] as Uint8Array) }, format: 'jwk' }),
      () => createPublicKey({ key: Buffer.concat([ED25519_SPKI, edPubs[next()] as Uint8Array]), format: 'der', type: 'spki' }),
    ],
  ];
  const importTable: string[][] = [];
  for (const [name, jwk, der] of importOps) {
    const a = measure(jwk, { minTimeMs: 300, minSamples: 30, warmup: 20 });
    const b = measure(der, { minTimeMs: 300, minSamples: 30, warmup: 20 });
    rows.push({ section: 'crypto', name: `import ${name}`, params: { impl: 'jwk' }, ...a });
    rows.push({ section: 'crypto', name: `import ${name}`, params: { impl: 'pkcs8/spki der' }, ...b, extra: { derOverJwk: round1(b.medianUs / a.medianUs) } });
    importTable.push([name, formatUs(a.medianUs), formatUs(b.medianUs), `${(b.medianUs / a.medianUs).toFixed(1)}x`]);
  }
  printTable('crypto: raw key import into a KeyObject (node:crypto)', ['key', 'JWK', 'PKCS#8 / SPKI DER', 'DER/JWK'], importTable);

  console.log(
    over.length === 0
      ? `\nnode provider overhead is within ${OVERHEAD_BAR_PERCENT}% of the raw call for every op`
      : `\nover the ${OVERHEAD_BAR_PERCENT}% overhead bar:\n${over.map((o) => `- ${o}`).join('\n')}`,
  );
  return rows;
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

/**
 * The same HPKE base-mode composition as packages/crypto/src/hpke.ts, written directly against
 * node:crypto with the recipient key pre-imported: the baseline for the provider's HPKE overhead.
 */
function rawHpkeX25519(pkR: Uint8Array): {
  seal(info: Uint8Array, aad: Uint8Array, pt: Uint8Array): { enc: Uint8Array; ct: Buffer };
  open(skR: KeyObject, enc: Uint8Array, info: Uint8Array, aad: Uint8Array, ct: Uint8Array): Buffer;
} {
  const v = utf8('HPKE-v1');
  const kem = concatBytes(utf8('KEM'), Uint8Array.of(0, 0x20));
  const suite = concatBytes(utf8('HPKE'), Uint8Array.of(0, 0x20, 0, 1, 0, 1));
  const L = (n: number): Uint8Array => Uint8Array.of(n >> 8, n & 0xff);
  const ext = (salt: Uint8Array, ikm: Uint8Array): Buffer => createHmac('sha256', salt).update(ikm).digest();
  // Single-block HKDF-Expand (every length here is <= 32).
  const exp = (prk: Uint8Array, infoBytes: Uint8Array, n: number): Buffer =>
    createHmac('sha256', prk).update(infoBytes).update(Uint8Array.of(1)).digest().subarray(0, n);
  const E = new Uint8Array(0);
  const pre = (s: Uint8Array, label: string): Uint8Array => concatBytes(v, s, utf8(label));
  const [dkp, sk, eae, ss, pskH, infoH, sec, key, bn] = [
    pre(kem, 'dkp_prk'),
    pre(kem, 'sk'),
    pre(kem, 'eae_prk'),
    pre(kem, 'shared_secret'),
    pre(suite, 'psk_id_hash'),
    pre(suite, 'info_hash'),
    pre(suite, 'secret'),
    pre(suite, 'key'),
    pre(suite, 'base_nonce'),
  ] as const;
  const pskIdHash = ext(E, pskH);
  const pkRKey = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: b64(pkR) }, format: 'jwk' });
  const schedule = (shared: Uint8Array, infoBytes: Uint8Array): { k: Buffer; n: Buffer } => {
    const ctx = Buffer.concat([Uint8Array.of(0), pskIdHash, ext(E, Buffer.concat([infoH, infoBytes]))]);
    const secret = ext(shared, sec);
    return { k: exp(secret, Buffer.concat([L(16), key, ctx]), 16), n: exp(secret, Buffer.concat([L(12), bn, ctx]), 12) };
  };
  const eaeShared = (dh: Uint8Array, kemContext: Uint8Array): Buffer =>
    exp(ext(E, Buffer.concat([eae, dh])), Buffer.concat([L(32), ss, kemContext]), 32);
  return {
    seal(infoBytes, aad, pt) {
      const skE = exp(ext(E, Buffer.concat([dkp, randomBytes(32)])), Buffer.concat([L(32), sk]), 32);
      const skEKey = createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d: b64(skE), x: '' }, format: 'jwk' });
      const enc = Buffer.from(createPublicKey(skEKey).export({ format: 'jwk' }).x ?? '', 'base64url');
      const dh = diffieHellman({ privateKey: skEKey, publicKey: pkRKey });
      const { k, n } = schedule(eaeShared(dh, Buffer.concat([enc, pkR])), infoBytes);
      const c = createCipheriv('aes-128-gcm', k, n, { authTagLength: 16 });
      c.setAAD(aad);
      return { enc, ct: Buffer.concat([c.update(pt), c.final(), c.getAuthTag()]) };
    },
    open(skR, enc, infoBytes, aad, ct) {
      const encKey = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: b64(enc) }, format: 'jwk' });
      const dh = diffieHellman({ privateKey: skR, publicKey: encKey });
      const { k, n } = schedule(eaeShared(dh, Buffer.concat([enc, pkR])), infoBytes);
      const d = createDecipheriv('aes-128-gcm', k, n, { authTagLength: 16 });
      d.setAuthTag(ct.subarray(ct.length - 16));
      d.setAAD(aad);
      const body = d.update(ct.subarray(0, ct.length - 16));
      d.final();
      return body;
    },
  };
}
