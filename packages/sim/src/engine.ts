// The seam between the simulator and the device engine: the DeviceRuntime contract of @weft/merge,
// and the pair of factories a run needs (devices, and the public resolver that sites run).

import type { DeviceOptions, DeviceRuntime } from '@weft/merge';
import type { PublicResolver } from './resolver.ts';
import type { SiteAuthorizer } from './siteAuthorizer.ts';

export type { DeviceMessage, DeviceOptions, DeviceRuntime, DeviceView, Effects, MessageView, RetentionPolicy } from '@weft/merge';

/** Creates one device runtime. */
export type DeviceFactory = (options: DeviceOptions) => DeviceRuntime;

/** The engine a run drives: device factory plus the public resolver sites use. */
export interface Engine {
  readonly name: string;
  readonly createDevice: DeviceFactory;
  readonly resolve: PublicResolver;
  /** The membership check sites run before storing a handshake (DagStore `authorize`); none when absent. */
  readonly createSiteAuthorizer?: () => SiteAuthorizer;
}
