// The sites' store-and-forward relay of device messages, on its own: routing on the recipient's
// device key, crossing a cut link through a third site, holding a message while no path exists
// and forwarding it when a link comes up, and dropping duplicates.
import { describe, expect, it } from 'vitest';
import { DeviceRelay, type RelayedMessage } from '../src/index.ts';

/** Three sites A, B, C; `down` holds the links that are down; sends are delivered synchronously, in order, through a queue. */
function makeSites(down: Set<string>) {
  const home: Record<string, string> = { ka: 'A', kb: 'B', kc: 'C' };
  const delivered: string[] = [];
  const hops: string[] = [];
  const queue: (() => void)[] = [];
  const relays = new Map<string, DeviceRelay>();
  const linked = (a: string, b: string): boolean => a === b || !down.has([a, b].sort().join('-'));
  for (const site of ['A', 'B', 'C']) {
    relays.set(
      site,
      new DeviceRelay(site, ['A', 'B', 'C'].filter((s) => s !== site), {
        homeOf: (key) => home[key] ?? null,
        isConnected: (peer) => linked(site, peer),
        sendToPeer: (peer, m) => {
          hops.push(`${site}->${peer}`);
          queue.push(() => relays.get(peer)!.receive(m, site));
        },
        deliverLocal: (key, m) => delivered.push(`${site}:${key}:${new TextDecoder().decode(m.bytes)}`),
      }),
    );
  }
  const flush = (): void => {
    while (queue.length > 0) queue.shift()!();
  };
  return { relays, delivered, hops, flush };
}

const msg = (to: string, text: string): RelayedMessage => ({ to, bytes: new TextEncoder().encode(text) });

describe('device message relay', () => {
  it('goes straight to the home site when that link is up', () => {
    const s = makeSites(new Set());
    s.relays.get('A')!.receive(msg('kb', 'hi'), null);
    s.flush();
    expect(s.hops).toEqual(['A->B']);
    expect(s.delivered).toEqual(['B:kb:hi']);
  });

  it('crosses a cut link through any site that reaches both, once', () => {
    const s = makeSites(new Set(['A-B']));
    s.relays.get('A')!.receive(msg('kb', 'via C'), null);
    s.flush();
    expect(s.hops).toEqual(['A->C', 'C->B']);
    expect(s.delivered).toEqual(['B:kb:via C']);
    // the same bytes again (a duplicate from another path) are dropped everywhere
    s.relays.get('C')!.receive(msg('kb', 'via C'), 'A');
    s.flush();
    expect(s.delivered).toEqual(['B:kb:via C']);
  });

  it('holds a message while no path exists and forwards it when a link comes up', () => {
    const down = new Set(['A-B', 'A-C']);
    const s = makeSites(down);
    s.relays.get('A')!.receive(msg('kb', 'later'), null);
    s.flush();
    expect([s.hops, s.delivered]).toEqual([[], []]);
    down.delete('A-C');
    s.relays.get('A')!.linkUp('C');
    s.flush();
    expect(s.hops).toEqual(['A->C', 'C->B']);
    expect(s.delivered).toEqual(['B:kb:later']);
    // a later link to the home site does not send it again to the site that already relayed it
    down.delete('A-B');
    s.relays.get('C')!.linkUp('A');
    s.flush();
    expect(s.delivered).toEqual(['B:kb:later']);
  });

  it('a message for an unknown device is dropped and counted', () => {
    const s = makeSites(new Set());
    const a = s.relays.get('A')!;
    a.receive(msg('kz', 'nobody'), null);
    s.flush();
    expect([a.unroutable, s.hops.length, s.delivered.length]).toEqual([1, 0, 0]);
  });
});
