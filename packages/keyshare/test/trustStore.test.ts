// Device identity bindings and the persisted trust store.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { toHex, utf8 } from '@weft/codec';
import { createKeyPackage } from '@weft/tree';
import { KeyshareError, TrustStore, checkBindingForKeyPackage, createDeviceIdentity, createLevelKeyshareDb, createMemoryKeyshareDb, decodeDeviceBinding, type KeyshareDb } from '../src/index.ts';
import { cs } from './fixture.ts';

async function dump(db: KeyshareDb): Promise<string[]> {
  const out: string[] = [];
  for await (const [k, v] of db.iterator()) out.push(`${k}=${toHex(v)}`);
  return out;
}

describe('device identity', () => {
  it('binds the signature key and the HPKE key under one signature; tampering is refused', () => {
    const id = createDeviceIdentity(cs, { user: utf8('alice'), created: 42 });
    const back = decodeDeviceBinding(cs, id.binding.bytes);
    expect(toHex(back.sigKey)).toBe(toHex(cs.signaturePublicKey(id.signaturePrivateKey)));
    expect(toHex(back.hpkeKey)).toBe(toHex(cs.kemPublicKey(id.hpkePrivateKey)));
    const other = createDeviceIdentity(cs, { user: utf8('alice'), created: 42 });
    // swap in another device's HPKE key: the binding no longer verifies
    const swapped = id.binding.bytes.slice();
    const at = toHex(swapped).indexOf(toHex(id.binding.hpkeKey)) / 2;
    swapped.set(other.binding.hpkeKey, at);
    expect(() => decodeDeviceBinding(cs, swapped)).toThrow(KeyshareError);
    try {
      decodeDeviceBinding(cs, swapped);
    } catch (err) {
      expect((err as KeyshareError).code).toBe('bad_binding');
    }
  });
});

describe('binding and KeyPackage', () => {
  it('a binding made from the KeyPackage signature key matches it; another device\'s does not', () => {
    const kp = createKeyPackage(cs, { credential: { credentialType: 'basic', identity: utf8('carol') } });
    const id = createDeviceIdentity(cs, { user: utf8('carol'), created: 1, signaturePrivateKey: kp.privateKeys.signaturePrivateKey });
    checkBindingForKeyPackage(id.binding, kp.keyPackage);
    const other = createDeviceIdentity(cs, { user: utf8('carol'), created: 1 });
    expect(() => checkBindingForKeyPackage(other.binding, kp.keyPackage)).toThrow(/bad_binding/);
    const wrongUser = createDeviceIdentity(cs, { user: utf8('mallory'), created: 1, signaturePrivateKey: kp.privateKeys.signaturePrivateKey });
    expect(() => checkBindingForKeyPackage(wrongUser.binding, kp.keyPackage)).toThrow(/bad_binding/);
  });
});

describe('trust store', () => {
  it('trusts own and verified devices, unverifies, refuses a bad binding without writing', async () => {
    const db = createMemoryKeyshareDb();
    const store = await TrustStore.open(db, cs);
    const own = createDeviceIdentity(cs, { user: utf8('me'), created: 1 });
    const friend = createDeviceIdentity(cs, { user: utf8('friend'), created: 2 });
    await store.addOwnDevice(own.binding.bytes, 10);
    await store.verifyDevice(friend.binding.bytes, 11);
    expect(store.isTrusted(own.binding.sigKey)).toBe(true);
    expect(store.getDevice(friend.binding.sigKey)?.trust).toBe('verified');
    const before = await dump(db);
    const bad = friend.binding.bytes.slice();
    bad[bad.length - 1] = (bad[bad.length - 1] as number) ^ 1;
    await expect(store.verifyDevice(bad, 12)).rejects.toBeInstanceOf(KeyshareError);
    expect(await dump(db)).toEqual(before);
    expect(await store.unverifyDevice(friend.binding.sigKey)).toBe(true);
    expect(store.isTrusted(friend.binding.sigKey)).toBe(false);
    expect(await store.unverifyDevice(friend.binding.sigKey)).toBe(false);
  });

  it('persists in level across reopen', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weft-trust-'));
    try {
      const own = createDeviceIdentity(cs, { user: utf8('me'), created: 1 });
      const db1 = createLevelKeyshareDb(dir);
      const s1 = await TrustStore.open(db1, cs);
      await s1.addOwnDevice(own.binding.bytes, 5);
      await db1.close();
      const db2 = createLevelKeyshareDb(dir);
      const s2 = await TrustStore.open(db2, cs);
      expect(s2.listDevices().map((d) => [toHex(d.binding.sigKey), d.trust, d.at])).toEqual([[toHex(own.binding.sigKey), 'own', 5]]);
      await db2.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
