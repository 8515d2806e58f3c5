// mailguard/smtp: the SMTP proxy as a library. Its own package entry, so importing the core never
// loads smtp-server or nodemailer. Only what README documents: the proxy, its options and events,
// and the auth-file helpers; the limits (SECURITY.md lists their values) and the plumbing stay internal.

export { startProxy, type ProxyEvent, type ProxyOptions, type ProxyServer, type TransactionEvent } from './server.js';
export type { Decision, ViolationAction } from './decide.js';
export { parseUpstreamUrl, type UpstreamTarget } from './upstream.js';
export { hashPassword, loadAuthFile, parseAuthFile, type AuthUsers } from './auth-file.js';
