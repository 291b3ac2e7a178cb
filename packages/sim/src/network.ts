// The in-memory network between sites and between each device and its own site. Site links have a
// latency range and a loss rate drawn from the network's seeded stream; partitions split the sites
// into groups that cannot reach each other. Sites see a partition as a link going down (as a refused
// connection would tell them) and a heal as it coming up; loss is silent, so the sync protocol's
// retries have to cover it.

import type { SimRandom } from './random.ts';
import type { Scheduler } from './scheduler.ts';

/** Latency range (ms) and loss probability of a link. */
export interface LinkProfile {
  readonly latency: readonly [number, number];
  readonly loss: number;
}

/** A link between two sites with its own profile. */
export interface SiteLink extends LinkProfile {
  readonly between: readonly [string, string];
}

/** Counters of what crossed (or failed to cross) the network. */
export interface NetworkStats {
  /** Site-to-site messages handed to the network. */
  siteMessages: number;
  /** Approximate bytes of those messages (event blocks plus CIDs). */
  siteBytes: number;
  /** Messages dropped by random loss. */
  lost: number;
  /** Messages dropped because a partition separated the two sites. */
  partitioned: number;
}

/** Site links, partitions and delivery scheduling. */
export class Network {
  readonly #scheduler: Scheduler;
  readonly #random: SimRandom;
  readonly #defaults: LinkProfile;
  readonly #links = new Map<string, LinkProfile>();
  readonly #sites: readonly string[];
  /** Partition group index of each site; undefined when healed (all connected). */
  #groupOf: Map<string, number> | undefined;
  /** Links cut one by one (`cut` steps); they stay down through heals until restored. */
  readonly #cut = new Set<string>();
  readonly stats: NetworkStats = { siteMessages: 0, siteBytes: 0, lost: 0, partitioned: 0 };

  constructor(scheduler: Scheduler, random: SimRandom, sites: readonly string[], defaults: LinkProfile, links: readonly SiteLink[] = []) {
    this.#scheduler = scheduler;
    this.#random = random;
    this.#sites = sites;
    this.#defaults = defaults;
    for (const l of links) this.#links.set(linkKey(l.between[0], l.between[1]), l);
  }

  /** True when the two sites can currently reach each other. */
  isConnected(a: string, b: string): boolean {
    if (a === b) return true;
    if (this.#cut.size > 0 && this.#cut.has(linkKey(a, b))) return false;
    if (!this.#groupOf) return true;
    return this.#groupOf.get(a) === this.#groupOf.get(b);
  }

  /** Splits the sites into groups; a site named in no group is alone. Returns links that went down. */
  partition(groups: readonly (readonly string[])[]): [string, string][] {
    const before = this.#pairs().filter(([a, b]) => this.isConnected(a, b));
    const map = new Map<string, number>();
    groups.forEach((g, i) => g.forEach((s) => map.set(s, i)));
    let next = groups.length;
    for (const s of this.#sites) if (!map.has(s)) map.set(s, next++);
    this.#groupOf = map;
    return before.filter(([a, b]) => !this.isConnected(a, b));
  }

  /** Reconnects every site. Returns links that came up. */
  heal(): [string, string][] {
    const down = this.#pairs().filter(([a, b]) => !this.isConnected(a, b));
    this.#groupOf = undefined;
    return down.filter(([a, b]) => this.isConnected(a, b));
  }

  /** Takes the link between two sites down until `restore` (partitions and heals leave it down). */
  cut(a: string, b: string): void {
    this.#cut.add(linkKey(a, b));
  }

  /** Restores a cut link; returns true when the two sites can now reach each other. */
  restore(a: string, b: string): boolean {
    this.#cut.delete(linkKey(a, b));
    return this.isConnected(a, b);
  }

  /**
   * Sends a message from site `from` to site `to`: dropped when partitioned (now or at delivery
   * time) or by random loss, else delivered after a random latency.
   */
  sendSite(from: string, to: string, bytes: number, label: string, deliver: () => Promise<void>): void {
    this.stats.siteMessages += 1;
    this.stats.siteBytes += bytes;
    const link = this.#links.get(linkKey(from, to)) ?? this.#defaults;
    if (!this.isConnected(from, to)) {
      this.stats.partitioned += 1;
      return;
    }
    // Both draws are made for every message so one link's loss setting does not shift later draws.
    const lossDraw = this.#random.nextFloat();
    const delay = this.#random.nextInt(link.latency[0], link.latency[1]);
    if (lossDraw < link.loss) {
      this.stats.lost += 1;
      return;
    }
    this.#scheduler.schedule(this.#scheduler.now + delay, label, async () => {
      if (!this.isConnected(from, to)) {
        this.stats.partitioned += 1;
        return;
      }
      await deliver();
    });
  }

  /** The latency and loss profile of the link between two sites. */
  linkProfile(a: string, b: string): LinkProfile {
    return this.#links.get(linkKey(a, b)) ?? this.#defaults;
  }

  /** A latency draw for a device<->site hop (reliable, in order per direction). */
  drawDeviceLatency(range: readonly [number, number]): number {
    return this.#random.nextInt(range[0], range[1]);
  }

  #pairs(): [string, string][] {
    const out: [string, string][] = [];
    for (let i = 0; i < this.#sites.length; i++) for (let j = i + 1; j < this.#sites.length; j++) out.push([this.#sites[i]!, this.#sites[j]!]);
    return out;
  }
}

/** Key of an undirected link. */
function linkKey(a: string, b: string): string {
  return a < b ? `${a}\u0000${b}` : `${b}\u0000${a}`;
}
