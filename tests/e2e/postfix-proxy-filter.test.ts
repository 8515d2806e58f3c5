// `mailguard proxy` as a Postfix before-queue content filter (SMTPD_PROXY_README): a Postfix
// smtpd listener with smtpd_proxy_filter hands each SMTP session to the proxy as it arrives, the
// proxy relays what passes to Postfix's second smtpd (the re-injection port), and Postfix gives
// the client the proxy's reply. So a blocked message is refused at SMTP time (550 at the end of
// DATA), not bounced after "250 queued" as with the after-queue content_filter.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runProcess } from '../helpers/cli.js';
import { freePort, startPostfix, type PostfixInstance } from '../helpers/postfix.js';
import { spawnProxy, type ProxyProcess } from './proxy-process.js';

let postfix: PostfixInstance | undefined;
let proxy: ProxyProcess | undefined;
let filteredPort = 0;

beforeAll(async () => {
  const reinjectPort = await freePort();
  filteredPort = await freePort();
  proxy = await spawnProxy(['--upstream', `smtp://127.0.0.1:${reinjectPort}`, '--internal-domain', 'inbox.test', '--block-at', '2', '--warn-at', '2']);
  postfix = await startPostfix({
    localDomains: ['inbox.test', 'customer1.test', 'customer2.test'],
    reinjectPort,
    masterCf: [`127.0.0.1:${filteredPort} inet n - n - - smtpd`, `  -o smtpd_proxy_filter=127.0.0.1:${proxy.port}`, '  -o smtpd_proxy_timeout=60s'],
  });
}, 60_000);

afterAll(async () => {
  await postfix?.stop();
  if (proxy && proxy.child.exitCode === null) {
    proxy.kill('SIGTERM');
    await proxy.exited;
  }
});

function swaks(to: string[], data: string) {
  return runProcess('swaks', ['--server', `127.0.0.1:${filteredPort}`, '--from', 'alice@inbox.test', '--to', to.join(','), '--data', '-'], { input: data, timeoutMs: 60_000 });
}

it('refuses the exposed message at SMTP time and delivers the clean one', async () => {
  const exposed = 'From: alice@inbox.test\r\nTo: c1@customer1.test, c2@customer2.test\r\nCc: bob@inbox.test\r\nSubject: exposed before queue\r\n\r\nHello.\r\n';
  const clean = 'From: alice@inbox.test\r\nTo: bob@inbox.test\r\nSubject: clean before queue\r\n\r\nHello Bob.\r\n';
  const refused = await swaks(['c1@customer1.test', 'c2@customer2.test', 'bob@inbox.test'], exposed);
  expect(refused.stdout).toMatch(/<\*\* +550 5\.7\.1 Blocked by mailguard: 2 external addresses from 2 organisations/);
  const ok = await swaks(['bob@inbox.test'], clean);
  expect(ok.stdout).toMatch(/<- +250 2\.0\.0 Ok: relayed \(upstream: 250 2\.0\.0 Ok: queued as [0-9A-F]+\)/);

  const delivered = await postfix!.waitForMessages(1);
  await new Promise((r) => setTimeout(r, 1500));
  const all = await postfix!.messages();
  expect(all).toHaveLength(1);
  expect(delivered[0]!.recipient).toBe('bob@inbox.test');
  expect(delivered[0]!.raw.toString('latin1')).toContain('Subject: clean before queue');
  // No bounce: the sender's client was told at once.
  expect(all.some((m) => m.recipient === 'alice@inbox.test')).toBe(false);
  await proxy!.waitFor(() => proxy!.events.filter((e) => e.event === 'transaction').length >= 2);
  expect(proxy!.events.filter((e) => e.event === 'transaction').map((e) => e.action).sort()).toEqual(['blocked', 'relayed']);
});
