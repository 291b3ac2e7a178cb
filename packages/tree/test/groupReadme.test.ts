// Runs the example of packages/tree/README.md and checks that the README shows exactly this code,
// so the two cannot drift apart.
import { readFileSync } from 'node:fs';
import { utf8 } from '@weft/codec';
import { getCipherSuite } from '@weft/crypto';
import { describe, expect, it } from 'vitest';
import {
  createCommit,
  createGroup,
  createKeyPackage,
  decryptApplicationMessage,
  encryptApplicationMessage,
  exportGroupSecret,
  getEpochAuthenticator,
  joinFromWelcome,
  processCommit,
  processProposal,
  proposeUpdate,
  type LeafIndex,
} from '../src/index.ts';

const README = new URL('../README.md', import.meta.url);
const SELF = new URL(import.meta.url);

function exampleBody(): string {
  // Markers are assembled so that this function's own source does not contain them.
  const mark = 'README example';
  const src = readFileSync(SELF, 'utf8');
  const startMarker = `// ${mark} start\n`;
  const start = src.indexOf(startMarker) + startMarker.length;
  const end = src.indexOf(`    // ${mark} end`);
  return src
    .slice(start, end)
    .split('\n')
    .map((line) => line.replace(/^ {4}/, ''))
    .join('\n');
}

describe('README example', () => {
  it('runs, and the README shows the same code', () => {
    // README example start
    const cs = getCipherSuite(1, 'node');
    const newMember = (name: string) => createKeyPackage(cs, { credential: { credentialType: 'basic', identity: utf8(name) } });
    const alice = newMember('alice');
    const bob = newMember('bob');
    const carol = newMember('carol');

    // Alice creates the group and adds Bob and Carol with one commit; they join from the Welcome.
    let a = createGroup(cs, {
      leafNode: alice.keyPackage.leafNode,
      encryptionPrivateKey: alice.privateKeys.encryptionPrivateKey,
      signaturePrivateKey: alice.privateKeys.signaturePrivateKey,
    });
    const added = createCommit(a, { add: [bob.keyPackage, carol.keyPackage] });
    a = added.state;
    let b = joinFromWelcome(cs, added.welcome as Uint8Array, bob);
    let c = joinFromWelcome(cs, added.welcome as Uint8Array, carol);

    // Bob proposes an Update; Alice commits it by reference; Bob and Carol process the commit.
    const update = proposeUpdate(b);
    b = update.state;
    a = processProposal(a, update.message).state;
    const committed = createCommit(a);
    a = committed.state;
    for (const [name, s] of [['bob', b], ['carol', c]] as const) {
      const out = processCommit(s, committed.commit, { proposals: [update.message] });
      if (out.kind !== 'next_epoch') throw new Error(`${name} was removed`);
      if (name === 'bob') b = out.state;
      else c = out.state;
    }

    // Alice removes Carol (leaf 2). Bob moves on; Carol learns she was removed.
    const removal = createCommit(a, { remove: [2 as LeafIndex] });
    a = removal.state;
    const forBob = processCommit(b, removal.commit);
    if (forBob.kind !== 'next_epoch') throw new Error('bob was removed');
    b = forBob.state;
    const forCarol = processCommit(c, removal.commit);

    // Application messages are PrivateMessages; each key is used once and then erased.
    const sent = encryptApplicationMessage(b, utf8('hi alice'));
    b = sent.state;
    const received = decryptApplicationMessage(a, sent.message);
    a = received.state;

    // Members of one epoch derive the same exported secrets and epoch authenticator.
    const keyA = exportGroupSecret(a, 'weft example', new Uint8Array(0), 32);
    const keyB = exportGroupSecret(b, 'weft example', new Uint8Array(0), 32);
    // README example end

    expect(forCarol.kind).toBe('removed');
    expect(new TextDecoder().decode(received.plaintext)).toBe('hi alice');
    expect(received.sender).toBe(1);
    expect(keyA).toEqual(keyB);
    expect(getEpochAuthenticator(a)).toEqual(getEpochAuthenticator(b));

    const readme = readFileSync(README, 'utf8');
    expect(readme.includes(exampleBody())).toBe(true);
  });
});
