import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { cidKey, decodeEvent } from '@weft/dag';
import { decodeMlsMessage } from '@weft/tree';
import { deriveMlsGroupId } from '../src/index.ts';
import { healWithUpdateProposals } from './harness.ts';

describe('MLS group_id of a Weft group', () => {
  it('is the first 16 bytes of the SHA-256 of the genesis block, in the epoch and in every handshake and message', () => {
    // Updates made in a partition travel as proposal events (committed by reference).
    const net = healWithUpdateProposals();
    net.act('b', (d, now) => d.send('hello', now));
    net.settle();
    const genesis = decodeEvent(net.events[0] as Uint8Array);
    expect(genesis.event.kind).toBe('genesis');
    // Computed here from the block bytes, independently of the CID machinery.
    const expected = new Uint8Array(createHash('sha256').update(genesis.bytes).digest().subarray(0, 16));
    expect(deriveMlsGroupId(genesis.cid)).toEqual(expected);
    expect(net.get('a').getLedger()?.getEpoch(cidKey(genesis.cid))?.groupContext.groupId).toEqual(expected);
    const seen = new Set<string>();
    for (const bytes of net.events.slice(1)) {
      const { event } = decodeEvent(bytes);
      const m = decodeMlsMessage(event.body);
      const groupId =
        m.wireFormat === 'public_message' ? m.publicMessage.content.groupId : m.wireFormat === 'private_message' ? m.privateMessage.groupId : undefined;
      if (groupId === undefined) continue;
      seen.add(`${event.kind}:${m.wireFormat}`);
      expect(groupId).toEqual(expected);
    }
    expect([...seen].sort()).toEqual(expect.arrayContaining(['commit:public_message', 'message:private_message', 'proposal:public_message']));
  });
});
