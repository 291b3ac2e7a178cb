import { describe, expect, it } from 'vitest';
import { computeCanonicalChain } from '../src/index.ts';
import { Net } from './harness.ts';

describe('mutual removal of the last members', () => {
  it('closes the group on every replica: nobody may send or commit, nobody waits for a rebase', () => {
    const net = new Net();
    for (const id of ['a', 'b']) net.addDevice(id, { rebaseIntervalMs: 100 });
    net.formGroup('a', ['b']);
    net.split(['a'], ['b']);
    net.act('a', (d, now) => d.remove(['b'], now));
    net.act('b', (d, now) => d.remove(['a'], now));
    net.settle();
    net.heal();
    net.settle();
    const site = computeCanonicalChain(net.events);
    expect(site.closed).toBe(true);
    for (const id of ['a', 'b']) {
      const d = net.get(id);
      expect(d.getCanonicalChain()?.head, id).toBe(site.head);
      expect(d.getCanonicalChain()?.closed, id).toBe(true);
      expect(d.getRebaseIntents()?.closed, id).toBe(true);
      const events = net.events.length;
      const send = net.act(id, (x, now) => x.send('anyone?', now));
      expect(send.refused?.code, id).toBe('group_closed');
      expect(send.publish).toHaveLength(0);
      const update = net.act(id, (x, now) => x.update(now));
      expect(update.refused?.code, id).toBe('group_closed');
      const tick = net.act(id, (x, now) => x.tick(now + 10_000));
      expect(tick.publish, id).toHaveLength(0);
      expect(tick.wakeAt, `${id} waits for nothing`).toBeUndefined();
      expect(net.events.length).toBe(events);
    }
  });

  it('hands the group over to a losing-branch joiner, who then removes the last removed member', () => {
    const net = new Net();
    for (const id of ['a', 'b', 'e']) net.addDevice(id, { rebaseIntervalMs: 100 });
    net.formGroup('a', ['b']);
    net.split(['a'], ['b', 'e']);
    net.act('a', (d, now) => d.remove(['b'], now));
    const kp = net.get('e').createKeyPackage();
    net.act('b', (d, now) => d.add([kp], now));
    net.settle();
    net.act('b', (d, now) => d.remove(['a'], now));
    net.settle();
    net.heal();
    net.settle();
    const site = computeCanonicalChain(net.events);
    expect(site.members).toEqual(['e']);
    expect(site.closed).toBe(false);
    for (const id of ['a', 'b', 'e']) expect(net.get(id).getCanonicalChain()?.head, id).toBe(site.head);
    expect(net.get('e').view().exporter).not.toBeNull();
    const fx = net.act('e', (d, now) => d.send('only me now', now));
    expect(fx.refused).toBeUndefined();
    net.settle();
    for (const id of ['a', 'b']) {
      const m = net.get(id).view().messages.find((x) => x.sender === 'e' || x.text === 'only me now');
      expect(m?.text ?? null, id).toBeNull();
    }
    expect(net.get('e').view().messages.map((m) => m.text)).toContain('only me now');
  });
});
