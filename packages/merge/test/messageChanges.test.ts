import { describe, expect, it } from 'vitest';
import { Net } from './harness.ts';

describe('listMessageChanges', () => {
  it('from cursor 0 lists what view() lists; from the returned cursor only messages that appeared since', () => {
    const net = new Net();
    for (const id of ['a', 'b', 'c']) net.addDevice(id);
    net.formGroup('a', ['b', 'c']);
    const c = net.get('c');
    const start = c.listMessageChanges(0);
    expect(start.messages).toEqual([]);
    net.act('b', (d, now) => d.send('one from b', now));
    net.act('a', (d, now) => d.send('one from a', now));
    net.settle();
    const first = c.listMessageChanges(start.cursor);
    expect(first.messages.map((m) => m.text).sort()).toEqual(['one from a', 'one from b']);
    expect(first.messages).toEqual(c.view().messages);
    expect(c.listMessageChanges(first.cursor)).toEqual({ cursor: first.cursor, messages: [] });
    // c's own message is listed once its event is accepted, with its plaintext.
    net.act('c', (d, now) => d.send('mine', now));
    net.settle();
    const second = c.listMessageChanges(first.cursor);
    expect(second.messages.map((m) => [m.sender, m.text])).toEqual([['c', 'mine']]);
    expect(c.listMessageChanges(0).messages).toEqual(c.view().messages);
    // A cursor that is not one the device gave is read as 0, never as an error.
    expect(c.listMessageChanges(-5).messages).toEqual(c.view().messages);
  });
});
