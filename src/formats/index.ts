/** Capture file formats: streaming readers, whole-file loading and writers. */
export { CaptureReader, openCapture, type CaptureReaderOptions } from './capture-reader.js';
export { CaptureWriter, formatForPath, type CaptureFormat, type CaptureWriterOptions } from './capture-writer.js';
export { loadCaptureSync, parseCaptureBytes, type LoadedCapture } from './load.js';
export { NO_TIMESTAMP } from './pcapng.js';
export type { InterfaceInfo } from './types.js';
