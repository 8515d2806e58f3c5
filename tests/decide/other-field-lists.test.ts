// A list in a header field that is not a recipient field (src/message/other-fields.ts) survives
// both rewrites: the decision re-checks their output, so a blocking list is kept back in every
// mode that would otherwise relay it (send, the proxy, the milter, sendmail and the plugin carry
// the decision out). Each row: the mode, the action, the reason and the fields.
import { describe, expect, it } from 'vitest';
import { decideDelivery, type OnViolation } from '../../src/decide/index.js';
import { createPolicy } from '../../src/policy/policy.js';

const policy = createPolicy({ internalDomains: ['corp.example'] });
const list = (n: number, tag = 'p') => Array.from({ length: n }, (_, i) => `${tag}${i}@${tag}${i}-org.example`).join(', ');
const msg = (fields: string) => new Uint8Array(Buffer.from(`From: s@corp.example\r\n${fields}\r\nSubject: s\r\nMessage-ID: <m@corp.example>\r\n\r\nHello.\r\n`));

describe('a list outside the recipient fields is not rewritten away', () => {
  it.each<[string, OnViolation, string, string | undefined, string]>([
    ['X-Recipients alone', 'bcc', 'block', 'still-exposed', `To: staff@corp.example\r\nX-Recipients: ${list(5)}`],
    ['X-Recipients alone', 'split', 'block', 'still-exposed', `To: staff@corp.example\r\nX-Recipients: ${list(5)}`],
    ['X-Recipients alone', 'block', 'block', 'policy', `To: staff@corp.example\r\nX-Recipients: ${list(5)}`],
    ['X-Recipients alone', 'hold', 'hold', 'policy', `To: staff@corp.example\r\nX-Recipients: ${list(5)}`],
    ['the To list repeated in Comments', 'bcc', 'block', 'still-exposed', `To: ${list(5)}\r\nComments: ${list(5)}`],
    ['the To list repeated in Comments', 'split', 'block', 'still-exposed', `To: ${list(5)}\r\nComments: ${list(5)}`],
    ['free text of twelve in a custom field', 'bcc', 'block', 'still-exposed', `To: staff@corp.example\r\nX-Note: cc ${list(12)} and the rest`],
    ['a To list with a harmless X- field is cured', 'bcc', 'rewrite', undefined, `To: ${list(5)}\r\nX-Contact: ${list(1)}`],
    ['a To list with a Received trace is cured', 'split', 'split', undefined, `Received: from a by b for <${list(1)}>\r\nTo: ${list(5)}`],
  ])('%s, onViolation %s: %s (%s)', (_name, mode, action, reason, fields) => {
    const d = decideDelivery(msg(fields), policy, { onViolation: mode });
    expect(d.action).toBe(action);
    expect(d.reason?.code).toBe(reason);
    if (reason === 'still-exposed') {
      const blocking = d.blocking.find((f) => f.code === 'EXPOSED_RECIPIENTS');
      expect(blocking?.code === 'EXPOSED_RECIPIENTS' && blocking.args.fields.some((f) => f === 'x-recipients' || f === 'comments' || f === 'x-note')).toBe(true);
    }
  });

  it('with an envelope (the proxy, the milter, sendmail): kept back too', () => {
    const envelope = { mailFrom: 's@corp.example', rcptTo: ['staff@corp.example'] };
    for (const mode of ['bcc', 'split'] as const) {
      expect(decideDelivery(msg(`To: staff@corp.example\r\nX-Recipients: ${list(5)}`), policy, { onViolation: mode, envelope }).action).toBe('block');
    }
  });
});
