// A list in a header field that is not a recipient field (src/message/other-fields.ts) survives
// both rewrites: the decision re-checks their output, so a blocking list is kept back in every
// mode that would otherwise relay it (send, the proxy, the milter, sendmail and the plugin carry
// the decision out). Each row: the fields, the mode, the action and the reason.
import { describe, expect, it } from 'vitest';
import { decideDelivery, type OnViolation } from '../../src/decide/index.js';
import { createPolicy } from '../../src/policy/policy.js';

const policy = createPolicy({ internalDomains: ['corp.example'] });
const list = (n: number, tag = 'p') => Array.from({ length: n }, (_, i) => `${tag}${i}@${tag}${i}-org.example`).join(', ');
const msg = (fields: string) => new Uint8Array(Buffer.from(`From: s@corp.example\r\n${fields}\r\nSubject: s\r\nMessage-ID: <m@corp.example>\r\n\r\nHello.\r\n`));

describe('a list outside the recipient fields is not rewritten away', () => {
  it.each<[string, string, OnViolation, string, string | undefined]>([
    ['X-Recipients alone', `To: staff@corp.example\r\nX-Recipients: ${list(5)}`, 'bcc', 'block', 'still-exposed'],
    ['X-Recipients alone', `To: staff@corp.example\r\nX-Recipients: ${list(5)}`, 'split', 'block', 'still-exposed'],
    ['X-Recipients alone', `To: staff@corp.example\r\nX-Recipients: ${list(5)}`, 'block', 'block', 'policy'],
    ['X-Recipients alone', `To: staff@corp.example\r\nX-Recipients: ${list(5)}`, 'hold', 'hold', 'policy'],
    ['the To list repeated in Comments', `To: ${list(5)}\r\nComments: ${list(5)}`, 'bcc', 'block', 'still-exposed'],
    ['the To list repeated in Comments', `To: ${list(5)}\r\nComments: ${list(5)}`, 'split', 'block', 'still-exposed'],
    ['free text of twelve in a custom field', `To: staff@corp.example\r\nX-Note: cc ${list(12)} and the rest`, 'bcc', 'block', 'still-exposed'],
    ['a To list with a harmless X- field is cured', `To: ${list(5)}\r\nX-Contact: ${list(1)}`, 'bcc', 'rewrite', undefined],
    ['a To list with a Received trace is cured', `Received: from a by b for <${list(1)}>\r\nTo: ${list(5)}`, 'split', 'split', undefined],
  ])('%s, onViolation %s: %s', (_name, fields, mode, action, reason) => {
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
