/** Live capture through the libpcap addon: capture handles, batch reader, interfaces, injection. */
export { addonMissingReason, loadAddon, tryLoadAddon, MISSING_ADDON_HELP, type OpenOptions } from './addon.js';
export { LiveCapture, DEFAULT_SNAPLEN, type CaptureStats } from './capture.js';
export { LiveReader } from './reader.js';
export { listInterfaces, formatInterfaceList, type LiveInterface } from './interfaces.js';
export { dropPrivileges } from './privileges.js';
export { openSink, type Sink } from './sink.js';
