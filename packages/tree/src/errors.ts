// Typed failures of the RFC 9420 core. Every rejection of peer input names the rule it broke, so a
// caller can react to the `code` and a user can read the message. Decoding failures stay CodecError.

/** Why the MLS core rejected an input or could not proceed. */
export type MlsErrorCode =
  // Ratchet tree structure (RFC 9420 sections 4, 7.8, 12.4.3.3)
  | 'tree_empty'
  | 'tree_too_large'
  | 'tree_not_truncated'
  | 'tree_node_type_mismatch'
  | 'leaf_index_out_of_range'
  | 'leaf_blank'
  | 'leaf_not_blank'
  // Tree validation (RFC 9420 sections 7.9.2, 7.3, 12.4.3.3)
  | 'tree_hash_mismatch'
  | 'parent_hash_invalid'
  | 'leaf_signature_invalid'
  | 'leaf_source_invalid'
  | 'duplicate_encryption_key'
  | 'duplicate_signature_key'
  | 'unmerged_leaves_invalid'
  | 'credential_invalid'
  | 'capabilities_invalid'
  | 'key_package_invalid'
  | 'key_package_signature_invalid'
  | 'leaf_lifetime_invalid'
  // TreeKEM (RFC 9420 sections 7.4 to 7.6)
  | 'update_path_length_mismatch'
  | 'update_path_ciphertext_count_mismatch'
  | 'update_path_no_decryption_node'
  | 'update_path_decrypt_failed'
  | 'update_path_public_key_mismatch'
  | 'missing_private_key'
  | 'private_key_mismatch'
  // Secret tree (RFC 9420 section 9)
  | 'invalid_generation'
  | 'unknown_sender_leaf'
  | 'generation_too_far_ahead'
  | 'generation_too_old'
  | 'generation_already_used'
  // Message framing (RFC 9420 section 6)
  | 'wrong_group'
  | 'wrong_epoch'
  | 'wrong_wire_format'
  | 'unknown_sender'
  | 'membership_tag_invalid'
  | 'signature_invalid'
  | 'sender_data_decrypt_failed'
  | 'content_decrypt_failed'
  | 'application_in_public_message'
  | 'confirmation_tag_missing'
  // Key schedule and Welcome (RFC 9420 sections 8, 12.4.3)
  | 'confirmation_tag_invalid'
  | 'cipher_suite_mismatch'
  | 'welcome_not_for_us'
  | 'welcome_group_secrets_decrypt_failed'
  | 'welcome_group_info_decrypt_failed'
  | 'group_info_signature_invalid'
  | 'psk_missing'
  // Group operations: proposals, commits, joining (RFC 9420 sections 10.1, 12.1 to 12.4)
  | 'proposal_ref_unknown'
  | 'proposal_sender_invalid'
  | 'proposal_unsupported'
  | 'committer_update_included'
  | 'committer_removed_self'
  | 'remove_target_invalid'
  | 'duplicate_leaf_change'
  | 'duplicate_add'
  | 'duplicate_psk'
  | 'duplicate_group_context_extensions'
  | 'psk_invalid'
  | 'commit_path_required'
  | 'commit_from_self'
  | 'external_commit_unsupported'
  | 'not_a_commit'
  | 'not_a_proposal'
  | 'unexpected_message_type'
  | 'welcome_leaf_missing'
  | 'ratchet_tree_missing'
  | 'key_package_private_key_mismatch'
  | 'member_removed';

/** A rejected input or a failed MLS operation; `code` names the RFC 9420 rule that failed. */
export class MlsError extends Error {
  override readonly name = 'MlsError';
  constructor(
    readonly code: MlsErrorCode,
    message: string,
  ) {
    super(message);
  }
}
