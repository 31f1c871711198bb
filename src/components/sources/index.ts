/** Source types by config name. Live interfaces and mirror receivers join here. */
import { pcapFile } from './pcap-file.js';
import type { SourceType } from './types.js';

export const SOURCE_TYPES: Record<string, SourceType> = {
  pcap_file: pcapFile,
};
