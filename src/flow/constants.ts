/**
 * Constants of the flow analyzer: Zeek's TCP endpoint states, history bits and the default
 * timeouts (Zeek's init-bare.zeek values, so conn.log rows end where Zeek's end).
 */

/** Zeek's TCP endpoint states (analyzer/protocol/tcp/TCP_Endpoint.h), same numbering. */
export const TcpState = {
  INACTIVE: 0,
  SYN_SENT: 1,
  SYN_ACK_SENT: 2,
  PARTIAL: 3,
  ESTABLISHED: 4,
  CLOSED: 5,
  RESET: 6,
} as const;

/**
 * Bits of Connection::hist_seen: each letter that is recorded at most once per direction
 * has a bit; the responder's bits are the originator's shifted left by 16 (as in Zeek).
 */
export const Hist = {
  SYN: 0x1,
  FIN: 0x2,
  RST: 0x4,
  FIN_RST: 0x8,
  DATA: 0x10,
  ACK: 0x20,
  MULTI_FLAG: 0x40,
} as const;

/** Transport kinds the table distinguishes (what Zeek calls the session adapter). */
export const Transport = {
  TCP: 6,
  UDP: 17,
  ICMP: 1,
  ICMPV6: 58,
} as const;

/** IPFIX flowEndReason (IANA IE 136). */
export const EndReason = {
  idleTimeout: 1,
  activeTimeout: 2,
  endOfFlow: 3,
  forcedEnd: 4,
  lackOfResources: 5,
} as const;
export type EndReasonCode = (typeof EndReason)[keyof typeof EndReason];

/** Timeouts in seconds. Defaults are Zeek's (init-bare.zeek). */
export interface FlowTimeouts {
  /** TCP after the handshake completed (tcp_inactivity_timeout). */
  tcpEstablished: number;
  /** TCP before the handshake completed: Zeek arms udp_inactivity_timeout for it. */
  tcpHandshake: number;
  /** Unanswered SYN (tcp_attempt_delay). */
  tcpAttempt: number;
  /** After a full close or a RST, how long the connection lingers (tcp_close_delay). */
  tcpClose: number;
  /** After one side closed, idle time before it is given up (tcp_connection_linger). */
  tcpLinger: number;
  udp: number;
  icmp: number;
  other: number;
  /** Report long flows every `active` seconds (0 = never, Zeek's behaviour). */
  active: number;
}

export const DEFAULT_TIMEOUTS: FlowTimeouts = {
  tcpEstablished: 300,
  tcpHandshake: 60,
  tcpAttempt: 5,
  tcpClose: 5,
  tcpLinger: 5,
  udp: 60,
  icmp: 60,
  other: 60,
  active: 0,
};

/** Zeek's TOO_LARGE_SEQ_DELTA: sequence jumps beyond this on SYN/RST are not trusted. */
export const TOO_LARGE_SEQ_DELTA = 1048576;

/**
 * likely_server_ports as Zeek builds it when its base protocol scripts are loaded (each
 * protocol script adds its registered ports). Used to decide who the originator is when
 * the first packet seen is not a SYN.
 */
export const LIKELY_SERVER_TCP = [
  21, 22, 23, 25, 53, 80, 81, 88, 102, 110, 111, 135, 139, 143, 179, 389, 443, 445, 502, 512, 513, 514,
  563, 585, 587, 614, 631, 636, 853, 989, 990, 992, 993, 995, 1080, 1433, 1723, 1883, 2049, 2811,
  3128, 3268, 3306, 3389, 5060, 5222, 5223, 5269, 5432, 5900, 5901, 5902, 5903, 5904, 5905, 6379, 6666,
  6667, 6668, 6669, 8000, 8080, 8443, 8883, 8888, 20000, 27017,
] as const;

export const LIKELY_SERVER_UDP = [
  53, 67, 69, 88, 111, 123, 137, 161, 162, 443, 500, 514, 1812, 1813, 2049, 2123, 2152, 3544,
  4500, 4789, 5060, 5353, 5355, 6081, 5072, 4433,
] as const;
