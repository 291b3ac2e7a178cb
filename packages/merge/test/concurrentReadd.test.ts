// Remove wins over a concurrent re-add (soak seed 65208): a removal counts against every add of
// the same identity that did not have it in its causal past, whichever branch wins; an add made
// after seeing the removal is a deliberate re-add and stays.
import { describe, expect, it } from 'vitest';
import { decodeEvent } from '@weft/dag';
import { computeCanonicalChain } from '../src/index.ts';
import { Net } from './harness.ts';

/** a removes c and re-adds it at once while d, cut off, removes c; `dWins` makes a the most recent updater. */
function raceReaddAgainstRemoval(dWins: boolean): { net: Net; dRemoval: string } {
  const net = new Net();
  for (const id of ['a', 'b', 'c', 'd']) net.addDevice(id, { rebaseIntervalMs: 100 });
  net.formGroup('a', ['b', 'c', 'd']);
  if (dWins) {
    net.act('a', (x, now) => x.update(now));
    net.settle();
  }
  net.split(['a', 'b', 'c'], ['d']);
  net.act('a', (x, now) => x.remove(['c'], now));
  net.settle();
  const kp = net.get('c').createKeyPackage();
  net.act('a', (x, now) => x.add([kp], now));
  const removal = net.act('d', (x, now) => x.remove(['c'], now)).publish;
  expect(removal).toHaveLength(1);
  net.settle();
  // Before the heal, each side holds its own view: c is back in the group on a's side.
  expect(net.get('a').getCanonicalChain()?.members).toContain('c');
  net.heal();
  net.settle();
  return { net, dRemoval: decodeEvent(removal[0] as Uint8Array).cid.toString() };
}

describe('remove wins over a concurrent re-add', () => {
  for (const dWins of [false, true]) {
    it(`${dWins ? "d's removal wins the fork" : "a's re-add is on the winning branch"}: c is not a member after the heal and cannot read later sends`, () => {
      const { net, dRemoval } = raceReaddAgainstRemoval(dWins);
      const site = computeCanonicalChain(net.events);
      // The fork went the way the case means.
      expect(site.chain.includes(dRemoval)).toBe(dWins);
      expect(site.members).toEqual(['a', 'b', 'd']);
      for (const id of ['a', 'b', 'c', 'd']) expect(net.get(id).getCanonicalChain()?.head, id).toBe(site.head);
      for (const id of ['a', 'b', 'd']) expect(net.get(id).getRebaseIntents()?.removes ?? [], id).toEqual([]);
      const fx = net.act('d', (x, now) => x.send('after heal', now));
      expect(fx.refused).toBeUndefined();
      expect(fx.publish).toHaveLength(1);
      const sent = decodeEvent(fx.publish[0] as Uint8Array).cid.toString();
      net.settle();
      for (const id of ['a', 'b']) expect(net.get(id).view().messages.find((m) => m.cid === sent)?.text, id).toBe('after heal');
      // c did receive the message event; it just cannot read it.
      const atC = net.get('c').view().messages.find((m) => m.cid === sent);
      expect(atC).toBeDefined();
      expect(atC?.text).toBeNull();
    });
  }

  it('a re-add made after seeing the removal is deliberate: c stays a member and reads later sends', () => {
    const { net } = raceReaddAgainstRemoval(false);
    const kp = net.get('c').createKeyPackage();
    net.act('a', (x, now) => x.add([kp], now));
    net.settle();
    const site = computeCanonicalChain(net.events);
    expect(site.members).toEqual(['a', 'b', 'c', 'd']);
    for (const id of ['a', 'b', 'c', 'd']) {
      expect(net.get(id).getCanonicalChain()?.head, id).toBe(site.head);
      expect(net.get(id).getRebaseIntents()?.removes ?? [], id).toEqual([]);
    }
    const fx = net.act('d', (x, now) => x.send('welcome back', now));
    expect(fx.refused).toBeUndefined();
    net.settle();
    expect(net.get('c').view().messages.map((m) => m.text)).toContain('welcome back');
  });
});
