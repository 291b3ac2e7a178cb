import { describe, expect, it } from 'vitest';
import { getCipherSuite } from '@weft/crypto';
import { buildEvent, createSuiteResolver, openMemoryStore } from '../src/index.ts';

describe('README example', () => {
  it('builds, stores and queries a two-event group', async () => {
    const suite = getCipherSuite(1, 'node');
    const kp = suite.signatureGenerateKeyPair();
    const signer = { suite, privateKey: kp.privateKey, publicKey: kp.publicKey };
    const store = await openMemoryStore({
      resolveSuite: createSuiteResolver('node'),
      authorize: ({ checked }) => checked.event.author.leaf !== undefined,
    });
    const genesis = buildEvent({ kind: 'genesis', suite: 1, parents: [], body: new Uint8Array(), leaf: 0 }, signer);
    const commit = buildEvent(
      { kind: 'commit', parents: [genesis.cid], base: genesis.cid, body: new Uint8Array(), leaf: 0 },
      signer,
    );
    const results = await store.addMany([genesis, commit]);
    expect(results.map((r) => r.status)).toEqual(['accepted', 'accepted']);
    expect((await store.getHeads(genesis.cid)).map(String)).toEqual([commit.cid.toString()]);
    const anonymous = buildEvent({ kind: 'commit', parents: [commit.cid], base: commit.cid, body: new Uint8Array() }, signer);
    expect((await store.add(anonymous.bytes)).map((r) => r.status)).toEqual(['rejected']);
  });
});
