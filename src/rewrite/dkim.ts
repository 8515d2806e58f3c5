// DKIM-Signature fields whose signed header list (h=) names a field the rewrite changes, adds or
// removes: such a signature no longer verifies (RFC 6376 5.4; a field listed but absent is signed
// as absent, so adding a Bcc field breaks a signature that lists bcc too).

import { unfold, type HeaderBlock } from '../message/header-block.js';

export interface DkimImpact {
  /** Indexes (into header.fields) of DKIM-Signature fields that cover a changed field. */
  broken: number[];
  /** The signing domains (d=) of those signatures, for the plan. */
  domains: string[];
}

/** The h= and d= tags of a DKIM-Signature value. */
function readTags(value: string): { h: string[]; d: string | undefined } {
  let h: string[] = [];
  let d: string | undefined;
  for (const tag of value.split(';')) {
    const eq = tag.indexOf('=');
    if (eq === -1) continue;
    const name = tag.slice(0, eq).replace(/\s+/g, '');
    const v = tag.slice(eq + 1).replace(/\s+/g, '');
    if (name === 'h') h = v.split(':').map((s) => s.toLowerCase()).filter(Boolean);
    else if (name === 'd') d = v.toLowerCase();
  }
  return { h, d };
}

/** Which signatures a change to the fields named in `changedKeys` (lower-case) breaks. */
export function dkimImpact(header: HeaderBlock, changedKeys: ReadonlySet<string>): DkimImpact {
  const broken: number[] = [];
  const domains: string[] = [];
  header.fields.forEach((f, i) => {
    if (f.key !== 'dkim-signature') return;
    const { h, d } = readTags(unfold(f.rawValue, header.lineEnding));
    if (!h.some((k) => changedKeys.has(k))) return;
    broken.push(i);
    if (d !== undefined && !domains.includes(d)) domains.push(d);
  });
  return { broken, domains };
}
