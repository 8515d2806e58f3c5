// send's formatters as pure functions: every action's line, masking by default, --quiet, the
// closing lines of a stopped or failed batch, and the JSON document's shape.
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../src/findings.js';
import { formatSendHuman, formatSendJson, summariseSend, toSendJson, type SendReport, type SendResult, type SendTransaction } from '../../src/report/send.js';

const exposed: Finding = {
  code: 'EXPOSED_RECIPIENTS',
  severity: 'error',
  line: 2,
  args: { externalAddresses: 5, parties: 5, threshold: 5, trigger: 'parties', fields: ['to'], examples: ['jane.doe@alpha.test'], sensitive: false },
};

const tx = (over: Partial<SendTransaction> = {}): SendTransaction => ({ mailFrom: 'sales@corp.example', recipients: ['jane.doe@alpha.test'], accepted: [], rejected: [], skipped: [], ...over });

function report(results: SendResult[], over: Partial<SendReport> = {}): SendReport {
  return { onViolation: 'block', dryRun: false, journal: undefined, stopped: undefined, interrupted: false, results, summary: summariseSend(results), ...over };
}

const sent: SendResult = { source: 'a.eml', verdict: 'pass', action: 'sent', findings: [], transactions: [tx({ accepted: ['jane.doe@alpha.test'], response: '250 ok' })] };
const blocked: SendResult = { source: 'b.eml', verdict: 'block', action: 'blocked', findings: [exposed], transactions: [] };
const refused: SendResult = { source: 'c.eml', verdict: 'error', action: 'refused', findings: [], reason: 'To has "bob.smith@beta.test" twice.', hint: 'Give --from ADDRESS.', transactions: [] };
const partial: SendResult = {
  source: 'd.eml',
  verdict: 'block',
  action: 'partial',
  findings: [],
  rewrite: 'split',
  transactions: [
    tx({ recipients: ['ann.lee@alpha.test'], accepted: ['ann.lee@alpha.test'] }),
    tx({ recipients: ['ben.ray@beta.test'], rejected: [{ address: 'ben.ray@beta.test', response: '550 <ben.ray@beta.test>: unknown user' }] }),
    tx({ recipients: ['cy.fox@gamma.test'], error: 'connection to cy.fox@gamma.test relay lost' }),
  ],
};
const skipped: SendResult = { source: 'e.eml', verdict: 'pass', action: 'skipped', findings: [], transactions: [tx({ skipped: ['jane.doe@alpha.test'] })] };

describe('formatSendHuman', () => {
  it('one line per message with its action, findings under it, the totals last', () => {
    const text = formatSendHuman(report([sent, blocked, refused, partial, skipped]), { redact: true });
    const lines = text.split('\n');
    expect(lines[0]).toBe('sent     a.eml  1 recipient');
    expect(lines[1]).toBe('blocked  b.eml  not sent');
    expect(lines[2]).toMatch(/^ {2}error EXPOSED_RECIPIENTS: 5 external addresses from 5 organisations/);
    expect(text).toContain('refused  c.eml  not sent: To has "b***@beta.test" twice.\n  Give --from ADDRESS.');
    expect(text).toContain('partial  d.eml  1 of 3 recipients accepted, split into 3 messages');
    expect(text).toContain('  refused b***@beta.test: 550 <b***@beta.test>: unknown user');
    expect(text).toContain('  connection to c***@gamma.test relay lost');
    expect(text).toContain('skipped  e.eml  already accepted (journal)');
    expect(text).toContain('5 messages: 1 sent, 1 partly refused, 1 blocked, 1 refused, 1 skipped (already sent).');
    expect(text).toContain('To retry without sending twice, rerun with --journal FILE next time');
  });

  it.each([
    ['masked (the default)', true, ['j***@alpha.test', 'b***@beta.test'], ['jane.doe', 'ben.ray']],
    ['--no-redact', false, ['jane.doe@alpha.test', 'ben.ray@beta.test'], ['j***@']],
  ] as const)('addresses %s: recipients, replies, errors and findings alike', (_name, redact, present, absent) => {
    const text = formatSendHuman(report([blocked, partial]), { redact }) + formatSendHuman(report([{ ...sent, action: 'dry-run', transactions: [tx({ header: 'To: Jane <jane.doe@alpha.test>\r\n\r\n' })] }], { dryRun: true }), { redact });
    for (const p of present) expect(text).toContain(p);
    for (const a of absent) expect(text).not.toContain(a);
  });

  it('a dry run shows MAIL FROM, RCPT TO and the header, and says nothing was sent', () => {
    const dry: SendResult = { source: 'a.eml', verdict: 'pass', action: 'dry-run', findings: [], transactions: [tx({ skipped: ['jane.doe@alpha.test'], header: 'From: s@corp.example\r\nTo: jane.doe@alpha.test\r\n\r\n' })] };
    const text = formatSendHuman(report([dry], { dryRun: true }), { redact: true });
    expect(text).toBe(
      [
        'would send  a.eml  1 recipient',
        '  MAIL FROM:<s***@corp.example>',
        '  RCPT TO:<j***@alpha.test>  (already accepted, journal)',
        '  | From: s***@corp.example',
        '  | To: j***@alpha.test',
        '',
        '1 message: 1 would be sent. Nothing was sent (--dry-run).',
        '',
      ].join('\n'),
    );
  });

  it('--quiet leaves out what went as it was, never what was blocked, refused or rewritten', () => {
    const text = formatSendHuman(report([sent, skipped, blocked, refused, partial]), { redact: true, quiet: true });
    expect(text).not.toContain('a.eml');
    expect(text).not.toContain('e.eml');
    for (const s of ['b.eml', 'c.eml', 'd.eml']) expect(text).toContain(s);
    expect(text).toContain('5 messages:');
  });

  it.each([
    [{ stopped: 'the relay did not answer (connect ECONNREFUSED)' }, 'Stopped early: the relay did not answer (connect ECONNREFUSED). Messages after', 'Rerun with --journal FILE next time'],
    [{ interrupted: true, journal: 'sent.journal' }, 'Interrupted: messages after the last one listed were not attempted.', 'Run the same command again to send the rest; the journal sent.journal skips'],
    [{ journal: 'sent.journal' }, '1 message: 0 sent, 1 partly refused.', 'Run the same command again to retry; the journal sent.journal skips'],
  ] as const)('closing lines: %j', (over, first, second) => {
    const text = formatSendHuman(report([partial], over), { redact: true });
    expect(text).toContain(first);
    expect(text).toContain(second);
  });
});

describe('formatSendJson', () => {
  it('the document: version, settings, results and totals, in that order', () => {
    const doc = JSON.parse(formatSendJson(report([sent, blocked, partial], { journal: 'j' }), { redact: true }));
    expect(Object.keys(doc)).toEqual(['version', 'onViolation', 'dryRun', 'journal', 'stopped', 'interrupted', 'results', 'summary']);
    expect(doc).toMatchObject({ version: 1, journal: 'j', stopped: null, summary: { messages: 3, sent: 1, blocked: 1, partial: 1, recipientsAccepted: 2, recipientsRejected: 1 } });
  });

  it('masks recipients, replies, errors and finding examples by default; the sender stays', () => {
    const masked = toSendJson(report([blocked, partial]), { redact: true });
    const text = JSON.stringify(masked);
    expect(text).not.toMatch(/jane\.doe|ben\.ray|cy\.fox|ann\.lee/);
    expect(masked.results[1]!.transactions[0]!.mailFrom).toBe('sales@corp.example');
    const shown = JSON.stringify(toSendJson(report([blocked, partial]), { redact: false }));
    expect(shown).toContain('ben.ray@beta.test');
  });

  it('ends in one line break and is pretty-printed with two spaces', () => {
    const text = formatSendJson(report([]), { redact: true });
    expect(text.endsWith('}\n')).toBe(true);
    expect(text).toContain('\n  "version": 1,');
  });
});
