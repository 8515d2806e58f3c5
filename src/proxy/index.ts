// mailguard/smtp: the SMTP proxy as a library. Its own package entry, so importing the core never
// loads smtp-server or nodemailer.

export { startProxy, checkListenPolicy, isLoopbackHost, type ProxyEvent, type ProxyOptions, type ProxyServer, type TransactionEvent } from './server.js';
export { decideMessage, PROXY_MODES, type Decision, type ViolationAction } from './decide.js';
export { DataGuard, findBareNewline } from './data-guard.js';
export { createUpstreamClient, parseUpstreamUrl, probeUpstream, relayToUpstream, type UpstreamClient, type UpstreamOutcome, type UpstreamTarget } from './upstream.js';
export { blockReply, upstreamReply, type SmtpReply } from './replies.js';
export { hashPassword, loadAuthFile, parseAuthFile, type AuthUsers } from './auth-file.js';
export * from './limits.js';
