// mailguard/milter: the milter as a library, for a process that embeds it (its own package entry,
// so importing the core never loads it). Only what README documents: the server, its options and
// events, and the listen-address parser; the codec, the limits and the session stay internal.

export { formatListen, parseMilterListen, startMilter, type ListenAddress, type MessageEvent, type MilterEvent, type MilterServer, type MilterServerOptions } from './server.js';
export type { MilterViolationAction } from './decide.js';
