// The CI formatters as pure functions: escaping, ordering and limits that the CLI tests cannot
// reach with fixture files (hostile source names, dozens of findings).
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { checkMessage } from '../../src/analyse.js';
import { FINDING_CODES, type Finding } from '../../src/findings.js';
import { EXPLANATIONS, explainCode, formatExplanation } from '../../src/report/explain.js';
import { escapeData, escapeProperty, formatGithub, GITHUB_MAX_ANNOTATIONS_PER_KIND, githubStepSummary } from '../../src/report/github.js';
import { createReport, FORMATTERS, PUBLIC_FORMATS } from '../../src/report/index.js';
import { formatJunit } from '../../src/report/junit.js';
import { SARIF_FINGERPRINT_KEY, toArtifactUri, toSarif } from '../../src/report/sarif.js';
import type { MessageResult } from '../../src/result.js';

const OPTIONS = { redact: true, color: false as const };

function result(source: string, findings: Finding[], file?: string): MessageResult {
  const r: MessageResult = {
    source,
    verdict: findings.some((f) => f.severity === 'error') ? 'block' : findings.length > 0 ? 'warn' : 'pass',
    findings,
    recipients: { visible: [], hidden: [], blind: [], reply: [], shown: [], externalParties: 0, externalAddresses: 0 },
    internal: { domains: ['corp.example'], inferred: false },
  };
  if (file !== undefined) r.file = file;
  return r;
}

function exposed(parties: number, severity: 'error' | 'warning', line = 2): Finding {
  return {
    code: 'EXPOSED_RECIPIENTS',
    severity,
    line,
    args: { externalAddresses: parties, parties, threshold: 3, trigger: 'parties', fields: ['to'], examples: ['jane.doe@customer.test'], sensitive: false },
  };
}

function ambiguous(excerpt: string, line = 2): Finding {
  return { code: 'AMBIGUOUS_RECIPIENT', severity: 'error', line, args: { field: 'cc', problem: 'missing-separator', excerpt } };
}

/** Parses one workflow command line back, undoing @actions/core's escaping. */
function parseCommand(line: string): { kind: string; props: Record<string, string>; message: string } | undefined {
  const m = /^::(error|warning|notice)(?: ([^:]*))?::(.*)$/.exec(line);
  if (!m) return undefined;
  const unescape = (s: string) => s.replace(/%2C/g, ',').replace(/%3A/g, ':').replace(/%0A/g, '\n').replace(/%0D/g, '\r').replace(/%25/g, '%');
  const props: Record<string, string> = {};
  for (const pair of (m[2] ?? '').split(',').filter(Boolean)) {
    const eq = pair.indexOf('=');
    props[pair.slice(0, eq)] = unescape(pair.slice(eq + 1));
  }
  return { kind: m[1]!, props, message: unescape(m[3]!) };
}

describe('format registry', () => {
  it('registers sarif, github and junit, all masked by default', () => {
    for (const name of ['sarif', 'github', 'junit']) {
      expect(FORMATTERS[name]).toBeTypeOf('function');
      expect(PUBLIC_FORMATS.has(name)).toBe(true);
    }
    expect(PUBLIC_FORMATS.has('human')).toBe(false);
  });
});

describe('github annotations', () => {
  it('escapes like @actions/core: %, CR, LF in data; also : and , in properties', () => {
    expect(escapeData('50% a\r\nb')).toBe('50%25 a%0D%0Ab');
    expect(escapeProperty('a:b,c%\n')).toBe('a%3Ab%2Cc%25%0A');
  });

  it('round-trips hostile file names and messages without adding lines', () => {
    const file = 'out/100%, a:b\r\n::error::injected.eml';
    const excerpt = 'a@x.test\n::warning::fake b@y.test';
    const report = createReport([result(`${file}#3`, [ambiguous(excerpt, 7)], file)]);
    const text = formatGithub(report, { ...OPTIONS, redact: false });
    const lines = text.trimEnd().split('\n');
    // One annotation and the summary line: nothing the input held became a command of its own.
    expect(lines).toHaveLength(2);
    const cmd = parseCommand(lines[0]!);
    expect(cmd?.kind).toBe('error');
    expect(cmd?.props.file).toBe(file);
    expect(cmd?.props.line).toBe('7');
    expect(cmd?.props.title).toBe('Ambiguous recipient (AMBIGUOUS_RECIPIENT)');
    // The line break from the message is shown as \x0a: no line of the log can start with it.
    expect(cmd?.message).toContain('a@x.test\\x0a::warning::fake b@y.test');
    expect(cmd?.message.startsWith(`${file}#3: `)).toBe(true);
    expect(parseCommand(lines[1]!)).toBeUndefined();
  });

  it('masks addresses by default', () => {
    const report = createReport([result('a.eml', [ambiguous('jane.doe@customer.test b@y.test')], 'a.eml')]);
    const text = formatGithub(report, OPTIONS);
    expect(text).toContain('j***@customer.test');
    expect(text).not.toContain('jane.doe@');
  });

  it('keeps at most 10 of each kind, most important first, and says how many were left out', () => {
    const results: MessageResult[] = [];
    for (let i = 0; i < 12; i++) results.push(result(`w${i}.eml`, [{ code: 'BCC_HEADER_PRESENT', severity: 'warning', line: 3, args: { field: 'bcc', count: 2, context: 'in-transit' } }], `w${i}.eml`));
    for (let i = 0; i < 12; i++) results.push(result(`e${i}.eml`, [exposed(5 + i, 'error')], `e${i}.eml`));
    const lines = formatGithub(createReport(results), OPTIONS).trimEnd().split('\n');
    const cmds = lines.map(parseCommand).filter((c) => c !== undefined);
    expect(cmds.filter((c) => c.kind === 'error')).toHaveLength(GITHUB_MAX_ANNOTATIONS_PER_KIND);
    expect(cmds.filter((c) => c.kind === 'warning')).toHaveLength(GITHUB_MAX_ANNOTATIONS_PER_KIND);
    // Errors before warnings; the largest exposure (16 organisations, e11) first.
    expect(cmds[0]!.props.file).toBe('e11.eml');
    expect(cmds.findIndex((c) => c.kind === 'warning')).toBe(GITHUB_MAX_ANNOTATIONS_PER_KIND);
    expect(cmds.slice(0, 10).map((c) => c.props.file)).not.toContain('e0.eml');
    expect(lines.join('\n')).toMatch(/2 more errors and 2 more warnings not annotated/);
  });

  it('step summary: a Markdown row for every finding, even past the annotation limit, cells escaped', () => {
    const results = Array.from({ length: 15 }, (_, i) => result(`m|${i}.eml`, [exposed(5, 'error')], `m|${i}.eml`));
    const md = githubStepSummary(createReport(results), OPTIONS);
    const rows = md.split('\n').filter((l) => l.startsWith('| ') && l.includes('EXPOSED_RECIPIENTS'));
    expect(rows).toHaveLength(15);
    expect(rows[0]).toContain('m\\|0.eml');
    // Escaped pipes keep every row at the header's six columns.
    for (const row of rows) expect(row.split(/(?<!\\)\|/).length - 2).toBe(6);
    expect(md).toContain('15 messages checked: 0 pass, 0 warn, 15 block, 0 error');
  });
});

describe('sarif', () => {
  it('one rule per finding code with help text and a default level', () => {
    const log = toSarif(createReport([]), OPTIONS);
    const rules = log.runs[0]!.tool.driver.rules;
    expect(rules.map((r) => r.id)).toEqual([...FINDING_CODES]);
    for (const rule of rules) {
      expect(rule.help.text.length).toBeGreaterThan(40);
      expect(rule.help.markdown).toContain(rule.id);
      expect(['error', 'warning', 'note']).toContain(rule.defaultConfiguration.level);
    }
  });

  it('fingerprints ignore line moves but tell fields, files and messages apart', () => {
    const fp = (r: MessageResult) => toSarif(createReport([r]), OPTIONS).runs[0]!.results[0]!.partialFingerprints[SARIF_FINGERPRINT_KEY];
    const base = fp(result('a.eml', [exposed(5, 'error', 2)], 'a.eml'));
    expect(base).toMatch(/^[0-9a-f]{32}$/);
    expect(fp(result('a.eml', [exposed(7, 'error', 9)], 'a.eml'))).toBe(base);
    expect(fp(result('b.eml', [exposed(5, 'error', 2)], 'b.eml'))).not.toBe(base);
    expect(fp(result('a.mbox#2', [exposed(5, 'error', 2)], 'a.mbox'))).not.toBe(fp(result('a.mbox#3', [exposed(5, 'error', 2)], 'a.mbox')));
    const cc = exposed(5, 'error', 2);
    if (cc.code === 'EXPOSED_RECIPIENTS') cc.args.fields = ['cc'];
    expect(fp(result('a.eml', [cc], 'a.eml'))).not.toBe(base);
  });

  it('artifact URIs: relative paths percent-encoded per segment, absolute ones as file: URIs', () => {
    expect(toArtifactUri('out/a b#1.eml')).toBe('out/a%20b%231.eml');
    expect(toArtifactUri('./x.eml')).toBe('x.eml');
    expect(toArtifactUri('/tmp/x y.eml')).toBe('file:///tmp/x%20y.eml');
    expect(toArtifactUri('C:\\mail\\a.eml')).toBe('file:///C:/mail/a.eml');
  });

  it('stdin results have no physical location; campaign findings carry a logical one', () => {
    const f = exposed(5, 'error', 4);
    f.jsonPath = 'messages[3].cc';
    const log = toSarif(createReport([result('-', [exposed(5, 'error')]), result('c.json#messages[3]', [f], 'c.json')]), OPTIONS);
    const [stdin, campaign] = log.runs[0]!.results;
    expect(stdin!.locations).toBeUndefined();
    expect(campaign!.locations![0]!.physicalLocation).toEqual({ artifactLocation: { uri: 'c.json' }, region: { startLine: 4 } });
    expect(campaign!.locations![0]!.logicalLocations).toEqual([{ fullyQualifiedName: 'messages[3].cc', kind: 'member' }]);
  });
});

describe('junit', () => {
  const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' });

  it('stays well-formed XML with control characters and markup in excerpts and names', () => {
    const excerpt = 'a\u0001b@x.test <c@y.test> & "q" \u0000 \ud800';
    const report = createReport([result('<odd & "name">.eml', [ambiguous(excerpt)], '<odd & "name">.eml')]);
    const xml = formatJunit(report, { ...OPTIONS, redact: false });
    expect(XMLValidator.validate(xml)).toBe(true);
    const doc = parser.parse(xml);
    const tc = doc.testsuites.testsuite.testcase;
    expect(tc.name).toBe('<odd & "name">.eml');
    expect(tc.failure.type).toBe('AMBIGUOUS_RECIPIENT');
    // Control characters from the message are shown escaped (src/report/printable.ts).
    expect(tc.failure.message).toContain('a\\x01b@x.test');
    expect(tc.failure.message).toContain('<c@y.test> & "q"');
  });

  it('one testcase per message, a failure per blocking finding, warnings in system-out', () => {
    const bcc: Finding = { code: 'BCC_HEADER_PRESENT', severity: 'warning', line: 3, args: { field: 'bcc', count: 2, context: 'in-transit' } };
    const report = createReport([
      result('clean.eml', [], 'clean.eml'),
      result('two.eml', [exposed(6, 'error'), ambiguous('x'), bcc], 'two.eml'),
      result('warn.eml', [bcc], 'warn.eml'),
    ]);
    const doc = parser.parse(formatJunit(report, OPTIONS));
    const suite = doc.testsuites.testsuite;
    expect(suite.tests).toBe('3');
    expect(suite.failures).toBe('1');
    const [clean, two, warn] = suite.testcase;
    expect(clean.failure).toBeUndefined();
    expect(two.failure).toHaveLength(2);
    expect(two['system-out']).toContain('BCC_HEADER_PRESENT');
    expect(warn.failure).toBeUndefined();
    expect(warn['system-out']).toContain('BCC_HEADER_PRESENT');
  });

  it('an unreadable input is an <error>, and a real check result fits in', () => {
    const checked = checkMessage(Buffer.from('From: a@corp.example\r\nTo: b@corp.example\r\n\r\n'), {}, { source: 'ok.eml' });
    const report = createReport([checked, { ...result('gone.eml', []), verdict: 'error', findings: [{ code: 'UNREADABLE_MESSAGE', severity: 'error', args: { reason: 'not-found' } }] }]);
    const doc = parser.parse(formatJunit(report, OPTIONS));
    expect(doc.testsuites.testsuite.errors).toBe('1');
    expect(doc.testsuites.testsuite.testcase[1].error.type).toBe('UNREADABLE_MESSAGE');
  });
});

describe('explanations', () => {
  it('every finding code has its own explanation: meaning, why, fix', () => {
    for (const code of FINDING_CODES) {
      expect(EXPLANATIONS[code], code).toBeDefined();
      const e = explainCode(code);
      expect(e.meaning.length).toBeGreaterThan(30);
      expect(e.why.length).toBeGreaterThan(30);
      expect(e.fix.length).toBeGreaterThan(0);
      const text = formatExplanation(e);
      for (const heading of ['What it means', 'Why it matters', 'How to fix it']) expect(text).toContain(heading);
    }
  });
});
