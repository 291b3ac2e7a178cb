// The keyshare interfaces over a real @weft/merge device: membership facts from its public ledger
// (every epoch on every branch, as the public DAG gives them), epoch keys from its worlds (the
// secret tree as created, within the message horizon), and public epoch views for checking a
// message decrypted with a forwarded key. Read-only: nothing here changes the merge device.
import type { CID } from 'multiformats/cid';
import { bytesEqual } from '@weft/codec';
import { cidKey } from '@weft/dag';
import type { MergeDevice, PublicEpoch, PublicLedger } from '@weft/merge';
import type { EpochKeys, EpochKeySource } from './answer.ts';
import type { EpochView } from './decrypt.ts';
import type { MembershipOracle } from './policy.ts';
import type { EpochViewSource } from './requester.ts';

/** The ledger of `group` on the device, or null when the device follows another group (or none). */
function ledgerOf(device: MergeDevice, group: CID): PublicLedger | null {
  const ledger = device.getLedger();
  return ledger !== null && ledger.groupKey === cidKey(group) ? ledger : null;
}

/** The public epoch `epoch` of `group` as the device's ledger holds it, or null. */
export function findPublicEpoch(device: MergeDevice, group: CID, epoch: CID): PublicEpoch | null {
  return ledgerOf(device, group)?.getEpoch(cidKey(epoch)) ?? null;
}

/** The leaf whose signature key is `deviceKey` in a public epoch, or null. */
export function findLeafOfKey(epoch: PublicEpoch, deviceKey: Uint8Array): number | null {
  const leaves = epoch.tree.leaves;
  for (let i = 0; i < leaves.length; i++) {
    const leaf = leaves[i];
    if (leaf && bytesEqual(leaf.signatureKey, deviceKey)) return i;
  }
  return null;
}

/** Membership per public DAG data, read from the device's ledger (any branch; the canonical head for "still a member"). */
export function createMergeMembership(device: MergeDevice): MembershipOracle {
  return {
    wasMemberOfEpoch: (group, epoch, deviceKey) => {
      const e = findPublicEpoch(device, group, epoch);
      return e !== null && findLeafOfKey(e, deviceKey) !== null;
    },
    isMemberOfCanonicalHead: (group, deviceKey) => {
      const head = ledgerOf(device, group)?.head ?? null;
      return head !== null && findLeafOfKey(head, deviceKey) !== null;
    },
    leafOf: (group, epoch, deviceKey) => {
      const e = findPublicEpoch(device, group, epoch);
      return e === null ? null : findLeafOfKey(e, deviceKey);
    },
  };
}

/** The epoch keys the device's worlds still hold ('evicted' past the message horizon). */
export function createMergeKeySource(device: MergeDevice): EpochKeySource {
  return {
    getEpochKeys: (group, epoch): EpochKeys | 'evicted' | null => {
      if (ledgerOf(device, group) === null) return null;
      return device.getEpochKeys(epoch.toString());
    },
  };
}

/** The public view of an epoch: group id, epoch number, leaf count, GroupContext and leaf signature keys. */
export function createEpochView(epoch: PublicEpoch): EpochView {
  return {
    groupId: epoch.groupContext.groupId,
    epoch: epoch.epoch,
    leafCount: epoch.tree.leafCount,
    groupContext: epoch.groupContextBytes,
    signatureKeyOf: (leaf) => epoch.tree.leaves[leaf]?.signatureKey ?? null,
  };
}

/** Public epoch views from the device's ledger. */
export function createMergeViewSource(device: MergeDevice): EpochViewSource {
  return {
    getEpochView: (group, epoch) => {
      const e = findPublicEpoch(device, group, epoch);
      return e === null ? null : createEpochView(e);
    },
  };
}
