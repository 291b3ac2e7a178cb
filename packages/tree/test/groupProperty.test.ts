// Property: for random sequences of commits (adds, removes, updates by proposal, empty commits with
// a path) by random members, every remaining member ends each epoch with the committer's epoch
// authenticator and tree, removed members learn it, and new members join from the Welcome.
import { toHex, utf8 } from '@weft/codec';
import { getCipherSuite } from '@weft/crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createCommit,
  createGroup,
  createKeyPackage,
  encodeRatchetTree,
  getEpochAuthenticator,
  getOwnLeafIndex,
  joinFromWelcome,
  processCommit,
  processProposal,
  proposeUpdate,
  type GroupState,
  type LeafIndex,
} from '../src/index.ts';

const cs = getCipherSuite(3, 'node');
let counter = 0;
const newMember = () => createKeyPackage(cs, { credential: { credentialType: 'basic', identity: utf8(`m${counter++}`) } });

type Op = { kind: 'add'; by: number; count: number } | { kind: 'remove'; by: number; target: number } | { kind: 'update'; who: number; by: number } | { kind: 'empty'; by: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('add' as const), by: fc.nat(), count: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ kind: fc.constant('remove' as const), by: fc.nat(), target: fc.nat() }),
  fc.record({ kind: fc.constant('update' as const), who: fc.nat(), by: fc.nat() }),
  fc.record({ kind: fc.constant('empty' as const), by: fc.nat() }),
);

describe('random group histories', () => {
  it('all members agree after every commit', () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 8 }), (ops) => {
        const founder = newMember();
        let members: GroupState[] = [
          createGroup(cs, {
            leafNode: founder.keyPackage.leafNode,
            encryptionPrivateKey: founder.privateKeys.encryptionPrivateKey,
            signaturePrivateKey: founder.privateKeys.signaturePrivateKey,
          }),
        ];
        for (const o of ops) {
          const by = o.by % members.length;
          let committer = members[by] as GroupState;
          let proposals: Uint8Array[] = [];
          let options = {};
          if (o.kind === 'add') {
            const kps = Array.from({ length: o.count }, newMember);
            const out = createCommit(committer, { add: kps.map((k) => k.keyPackage) });
            const joined = kps.map((k) => joinFromWelcome(cs, out.welcome as Uint8Array, k));
            members = members.map((m, i) => (i === by ? out.state : nextState(m, out.commit)));
            members.push(...joined);
          } else {
            if (o.kind === 'remove') {
              if (members.length < 2) continue;
              const target = members[o.target % members.length] as GroupState;
              if (target === committer) continue;
              options = { remove: [getOwnLeafIndex(target)] };
            } else if (o.kind === 'update') {
              const who = o.who % members.length;
              if (who === by) continue;
              const p = proposeUpdate(members[who] as GroupState);
              members[who] = p.state;
              proposals = [p.message];
              committer = processProposal(committer, p.message).state;
            } else {
              options = { update: true };
            }
            const out = createCommit(committer, options);
            const removed = new Set<LeafIndex>(o.kind === 'remove' ? (options as { remove: LeafIndex[] }).remove : []);
            const next: GroupState[] = [];
            members.forEach((m, i) => {
              if (i === by) return void next.push(out.state);
              const r = processCommit(m, out.commit, { proposals });
              if (removed.has(getOwnLeafIndex(m))) expect(r.kind).toBe('removed');
              else if (r.kind === 'next_epoch') next.push(r.state);
              else throw new Error('unexpected removal');
            });
            members = next;
          }
          const auth = toHex(getEpochAuthenticator(members[0] as GroupState));
          const tree = toHex(encodeRatchetTree((members[0] as GroupState).tree));
          for (const m of members) {
            expect(toHex(getEpochAuthenticator(m))).toBe(auth);
            expect(toHex(encodeRatchetTree(m.tree))).toBe(tree);
          }
        }
      }),
      { numRuns: 25 },
    );
  });
});

function nextState(m: GroupState, commit: Uint8Array): GroupState {
  const r = processCommit(m, commit);
  if (r.kind !== 'next_epoch') throw new Error('unexpected removal');
  return r.state;
}
