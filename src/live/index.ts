/** Live capture through the libpcap addon: capture handles, batch reader, interfaces, injection, raw IP sending. */
export { addonMissingReason, loadAddon, tryLoadAddon, missingAddonHelp, type OpenOptions } from './addon.js';
export { LiveCapture, DEFAULT_SNAPLEN, type CaptureStats } from './capture.js';
export { LiveReader } from './reader.js';
export { listInterfaces, formatInterfaceList, type LiveInterface } from './interfaces.js';
export { dropPrivileges } from './privileges.js';
export { openSink, type Sink } from './sink.js';
export { RawIpSender, errnoName, type RawIpOptions } from './raw-ip.js';
