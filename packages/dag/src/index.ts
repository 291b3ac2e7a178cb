export { EventError, isEventError, type EventErrorCode } from './errors.ts';
export {
  EVENT_VERSION,
  MAX_EVENT_BYTES,
  MAX_PARENTS,
  SIGNATURE_LABEL,
  EVENT_KINDS,
  HANDSHAKE_KINDS,
  getEventGroup,
  withGroupHint,
  type EventKind,
  type Author,
  type DagEvent,
  type EventInput,
  type EventMeta,
  type EventBlock,
  type CheckedEvent,
  type SignatureSuite,
  type SuiteResolver,
} from './event.ts';
export { computeCid, isEventCid, cidKey, cidFromKey, formatCid, parseCid, DAG_CBOR_CODE, SHA2_256_CODE } from './cid.ts';
export { decodeDagCborStrict, DagCborError, MAX_DAG_CBOR_DEPTH, type DagCborErrorCode } from './dagCbor.ts';
export { encodeEvent, encodeSigningPayload, getSigningPayload, decodeEvent } from './eventCodec.ts';
export { validateEvent, verifyEventSignature, findEventGroup, type KnownEvent, type ValidationContext, type ValidationOutcome } from './validate.ts';
export { buildEvent, type EventSigner } from './builder.ts';
export { PendingPool, type PendingEntry, type PendingPoolLimits } from './pendingPool.ts';
export { createInlineVerifier, createWorkerVerifier, verifyJob, type BatchVerifier, type VerifyJob, type VerifyVerdict, type WorkerVerifierOptions } from './verifyPool.ts';
export {
  DagStore,
  drainPending,
  type DagDb,
  type DagStoreOptions,
  type AuthorizeHook,
  type AuthorizeRequest,
  type IncomingBlock,
  type AddResult,
  type GroupInfo,
  type Fork,
  type IngestOptions,
} from './store.ts';
export { createMemoryDb, createLevelDb, openMemoryStore, openLevelStore } from './database.ts';
export { createSuiteResolver } from './suites.ts';
export { generateDag, createSeededRandom, type GenerateOptions } from './generate.ts';
export {
  DagSync,
  type SyncMessage,
  type HeadsMessage,
  type FetchMessage,
  type EventsMessage,
  type PushMessage,
  type SyncLimits,
  type SyncOutcome,
} from './sync.ts';
export type { CID } from 'multiformats/cid';
export { readCarBlocks, encodeCar, exportCar, writeCarFile, readCarFile, checkCar, verifyCar, importCar, type CarProblem, type CarReport } from './car.ts';
