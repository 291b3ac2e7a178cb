// Store-and-forward relay of device messages (keyshare requests, answers, withheld replies,
// cancels) at one site. A site routes on the recipient's device key alone; the body is opaque to
// it (an answer's secret is HPKE-encrypted to the recipient). Any site relays: a message for a
// device homed elsewhere goes straight to the home site when that link is up, and otherwise to
// every reachable peer that has not had it, so it crosses a partition through any path that exists
// (A and B cut from each other but both reaching C). Every site keeps what it relayed and offers it
// again to a peer whose link comes up; duplicates are dropped by content hash, so flooding ends.

import { createHash } from 'node:crypto';

/** A device message as sites carry it: the recipient's device key (hex) and opaque bytes. */
export interface RelayedMessage {
  readonly to: string;
  readonly bytes: Uint8Array;
}

/** What a relay needs from the simulation around it. */
export interface RelayEnvironment {
  /** The home site of a device key (hex), or null for an unknown device. */
  homeOf(deviceKey: string): string | null;
  isConnected(peer: string): boolean;
  /** Sends a message to a peer site (may be lost). */
  sendToPeer(peer: string, message: RelayedMessage): void;
  /** Hands a message to a device this site hosts (the driver handles latency and offline devices). */
  deliverLocal(deviceKey: string, message: RelayedMessage): void;
}

interface Stored {
  readonly message: RelayedMessage;
  /** Peers that sent it to us or that we sent it to. */
  readonly peers: Set<string>;
}

/** One site's device-message relay. */
export class DeviceRelay {
  readonly site: string;
  readonly #peers: readonly string[];
  readonly #env: RelayEnvironment;
  readonly #stored = new Map<string, Stored>();
  /** Messages forwarded to a peer site, and messages handed to a local device. */
  forwarded = 0;
  delivered = 0;
  /** Messages for a device no site knows (dropped). */
  unroutable = 0;

  constructor(site: string, peers: readonly string[], env: RelayEnvironment) {
    this.site = site;
    this.#peers = peers;
    this.#env = env;
  }

  /** Takes a message from a hosted device (`from` null) or from a peer site. */
  receive(message: RelayedMessage, from: string | null): void {
    const key = createHash('sha256').update(message.bytes).update(message.to).digest('hex');
    const known = this.#stored.get(key);
    if (known) {
      if (from !== null) known.peers.add(from);
      return;
    }
    const home = this.#env.homeOf(message.to);
    if (home === null) {
      this.unroutable++;
      return;
    }
    const stored: Stored = { message, peers: new Set(from === null ? [] : [from]) };
    this.#stored.set(key, stored);
    if (home === this.site) {
      this.delivered++;
      this.#env.deliverLocal(message.to, message);
      return;
    }
    this.#forward(stored, home);
  }

  /** The link to `peer` came up: offer it what we hold for devices elsewhere and it has not had. */
  linkUp(peer: string): void {
    for (const stored of this.#stored.values()) {
      const home = this.#env.homeOf(stored.message.to);
      if (home === null || home === this.site || stored.peers.has(peer)) continue;
      if (peer === home || !this.#env.isConnected(home)) this.#sendTo(stored, peer);
    }
  }

  #forward(stored: Stored, home: string): void {
    if (this.#env.isConnected(home)) {
      if (!stored.peers.has(home)) this.#sendTo(stored, home);
      return;
    }
    for (const p of this.#peers) if (!stored.peers.has(p) && this.#env.isConnected(p)) this.#sendTo(stored, p);
  }

  #sendTo(stored: Stored, peer: string): void {
    stored.peers.add(peer);
    this.forwarded++;
    this.#env.sendToPeer(peer, stored.message);
  }
}
