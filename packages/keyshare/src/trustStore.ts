// Which devices this device trusts to receive keys: its own devices (verified when they were
// linked) and other devices the user verified explicitly. Persisted in the device's level store
// under `ks!trust!<hex device key>`; read once at open into memory so the answering policy stays a
// synchronous pure check.
import type { AbstractLevel } from 'abstract-level';
import { MemoryLevel } from 'memory-level';
import { Level } from 'level';
import type { CipherSuite } from '@weft/crypto';
import { toHex } from '@weft/codec';
import { decodeCborMap, encodeCbor, FieldReader } from './cbor.ts';
import { decodeDeviceBinding, type DeviceBinding } from './deviceIdentity.ts';

/** The level database a device keeps keyshare state in (utf8 keys, byte values). */
export type KeyshareDb = AbstractLevel<string | Buffer | Uint8Array, string, Uint8Array>;

/** How a device came to be trusted. */
export type TrustLevel = 'own' | 'verified';

/** One trusted device. */
export interface TrustedDevice {
  readonly binding: DeviceBinding;
  readonly trust: TrustLevel;
  /** When it was verified (ms, passed in). */
  readonly at: number;
}

/** The synchronous trust question the answering policy asks. */
export interface TrustView {
  /** True when the device with this signature key is an own or verified device. */
  isTrusted(deviceKey: Uint8Array): boolean;
}

const PREFIX = 'ks!trust!';

/** A fresh in-memory keyshare database (tests, the simulator). */
export function createMemoryKeyshareDb(): KeyshareDb {
  return new MemoryLevel<string, Uint8Array>({ keyEncoding: 'utf8', valueEncoding: 'view' });
}

/** A LevelDB keyshare database at `dir`. */
export function createLevelKeyshareDb(dir: string): KeyshareDb {
  return new Level<string, Uint8Array>(dir, { keyEncoding: 'utf8', valueEncoding: 'view' });
}

/** Persistent trust decisions of one device; every change is written before it takes effect in memory. */
export class TrustStore implements TrustView {
  private readonly devices = new Map<string, TrustedDevice>();

  private constructor(
    private readonly db: KeyshareDb,
    private readonly cs: CipherSuite,
  ) {}

  /** Opens the store and loads every trusted device (bindings are re-verified on load). */
  static async open(db: KeyshareDb, cs: CipherSuite): Promise<TrustStore> {
    if (db.status === 'opening' || db.status === 'closed') await db.open();
    const store = new TrustStore(db, cs);
    for await (const [key, value] of db.iterator({ gte: PREFIX, lt: `${PREFIX}~` })) {
      const r = new FieldReader(decodeCborMap(value, 4096, 'trust record'), 'trust record').onlyKeys(['binding', 'trust', 'at']);
      const binding = decodeDeviceBinding(cs, r.bytes('binding', 1, 1024));
      store.devices.set(key.slice(PREFIX.length), { binding, trust: r.text('trust', ['own', 'verified'] as const), at: r.uint('at', Number.MAX_SAFE_INTEGER) });
    }
    return store;
  }

  /** Records one of the user's own devices (verified when it was linked). */
  addOwnDevice(bindingBytes: Uint8Array, at: number): Promise<TrustedDevice> {
    return this.put(bindingBytes, 'own', at);
  }

  /** Marks another device as verified (after the user compared safety numbers, or by policy). */
  verifyDevice(bindingBytes: Uint8Array, at: number): Promise<TrustedDevice> {
    return this.put(bindingBytes, 'verified', at);
  }

  /** Withdraws trust from a device; returns whether it was trusted. */
  async unverifyDevice(deviceKey: Uint8Array): Promise<boolean> {
    const hex = toHex(deviceKey);
    if (!this.devices.has(hex)) return false;
    await this.db.del(PREFIX + hex);
    this.devices.delete(hex);
    return true;
  }

  /** True when the device is an own or verified device. */
  isTrusted(deviceKey: Uint8Array): boolean {
    return this.devices.has(toHex(deviceKey));
  }

  /** The trusted device with this key, or null. */
  getDevice(deviceKey: Uint8Array): TrustedDevice | null {
    return this.devices.get(toHex(deviceKey)) ?? null;
  }

  /** Every trusted device, by hex device key order. */
  listDevices(): TrustedDevice[] {
    return [...this.devices.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, d]) => d);
  }

  private async put(bindingBytes: Uint8Array, trust: TrustLevel, at: number): Promise<TrustedDevice> {
    const binding = decodeDeviceBinding(this.cs, bindingBytes); // throws before anything is written
    const device: TrustedDevice = { binding, trust, at };
    const hex = toHex(binding.sigKey);
    await this.db.put(PREFIX + hex, encodeCbor({ binding: binding.bytes, trust, at }));
    this.devices.set(hex, device);
    return device;
  }
}
