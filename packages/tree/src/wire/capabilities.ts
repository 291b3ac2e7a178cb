import { type Reader, type Writer } from '@weft/codec';
import { readU16List, writeU16List } from './extension.ts';

/**
 * RFC 9420 section 7.2 Capabilities. Values are raw code points: a peer may list versions, suites,
 * extensions, proposals and credentials Weft does not know (including GREASE values).
 */
export interface Capabilities {
  readonly versions: readonly number[];
  readonly cipherSuites: readonly number[];
  readonly extensions: readonly number[];
  readonly proposals: readonly number[];
  readonly credentials: readonly number[];
}

/** Writes Capabilities. */
export function writeCapabilities(w: Writer, c: Capabilities): void {
  writeU16List(w, c.versions);
  writeU16List(w, c.cipherSuites);
  writeU16List(w, c.extensions);
  writeU16List(w, c.proposals);
  writeU16List(w, c.credentials);
}

/** Reads Capabilities. */
export function readCapabilities(r: Reader): Capabilities {
  const versions = readU16List(r);
  const cipherSuites = readU16List(r);
  const extensions = readU16List(r);
  const proposals = readU16List(r);
  const credentials = readU16List(r);
  return { versions, cipherSuites, extensions, proposals, credentials };
}

/** RFC 9420 section 11.1 RequiredCapabilities (the required_capabilities extension). */
export interface RequiredCapabilities {
  readonly extensionTypes: readonly number[];
  readonly proposalTypes: readonly number[];
  readonly credentialTypes: readonly number[];
}

/** Writes RequiredCapabilities. */
export function writeRequiredCapabilities(w: Writer, c: RequiredCapabilities): void {
  writeU16List(w, c.extensionTypes);
  writeU16List(w, c.proposalTypes);
  writeU16List(w, c.credentialTypes);
}

/** Reads RequiredCapabilities. */
export function readRequiredCapabilities(r: Reader): RequiredCapabilities {
  const extensionTypes = readU16List(r);
  const proposalTypes = readU16List(r);
  const credentialTypes = readU16List(r);
  return { extensionTypes, proposalTypes, credentialTypes };
}
