import { describe, expect, it } from 'vitest';
import { Net } from './harness.ts';

describe('device basics', () => {
  it('forms a group, converges, and reads messages', () => {
    const net = new Net();
    for (const id of ['a', 'b', 'c', 'd']) net.addDevice(id);
    net.formGroup('a', ['b', 'c', 'd']);
    const views = [...net.devices.values()].map((d) => d.view());
    for (const v of views) {
      expect(v.members).toEqual(['a', 'b', 'c', 'd']);
      expect(v.head).toBe(views[0]?.head);
      expect(v.treeHash).toBe(views[0]?.treeHash);
      expect(v.exporter).toBe(views[0]?.exporter);
      expect(v.exporter).not.toBeNull();
    }
    net.act('b', (d, now) => d.send('hello from b', now));
    net.settle();
    for (const id of ['a', 'c', 'd']) expect(net.get(id).view().messages.map((m) => m.text)).toEqual(['hello from b']);
    net.act('c', (d, now) => d.update(now));
    net.settle();
    const v2 = [...net.devices.values()].map((d) => d.view());
    for (const v of v2) {
      expect(v.epoch).toBe(2);
      expect(v.exporter).toBe(v2[0]?.exporter);
    }
  });
});
