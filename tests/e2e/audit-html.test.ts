// The audit's HTML page in a real headless browser (Debian chromium driven by playwright-core):
// it renders, the chart has one mark per month with incidents, there are no console errors and
// no network requests.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { AUDIT_FIXTURES, mboxOf } from '../audit/helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

const tmp = mkdtempSync(path.join(tmpdir(), 'mailguard-audit-html-'));
let browser: Browser;

beforeAll(async () => {
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
});

afterAll(async () => {
  await browser?.close();
  rmSync(tmp, { recursive: true, force: true });
});

async function open(file: string) {
  const page = await browser.newPage();
  const problems: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  return { page, problems, requests };
}

describe('audit --html in headless Chromium', () => {
  it('renders the page: one bar per month with incidents, tables, no console errors, no network', async () => {
    const mbox = path.join(tmp, 'Sent.mbox');
    writeFileSync(mbox, mboxOf(AUDIT_FIXTURES));
    const html = path.join(tmp, 'audit.html');
    const r = await runCli(['audit', mbox, '--internal-domain', 'corp.example', '--html', html, '--format', 'json']);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    const { page, problems, requests } = await open(html);
    try {
      expect(await page.title()).toBe(`mailguard exposure audit: ${doc.summary.incidents} incidents`);
      expect(await page.locator('h1').innerText()).toBe('Exposure audit');
      // One mark per month with incidents, each visible with a real size, in month order.
      const bars = page.locator('svg.chart rect.bar');
      expect(await bars.count()).toBe(doc.summary.months.length);
      const months = await bars.evaluateAll((els) => els.map((e) => e.getAttribute('data-month')));
      expect(months).toEqual(doc.summary.months.map((m: { month: string }) => m.month));
      for (let i = 0; i < (await bars.count()); i++) {
        const box = await bars.nth(i).boundingBox();
        expect(box!.width).toBeGreaterThan(1);
        expect(box!.height).toBeGreaterThan(1);
      }
      // The months are apart on the axis: Feb 2026 (no incident) leaves a gap between Jan and Mar.
      const xs = await bars.evaluateAll((els) => els.map((e) => Number(e.getAttribute('x'))));
      expect(xs[2]! - xs[1]!).toBeGreaterThan(xs[1]! - xs[0]!);
      // Tables rendered with one row per incident; the stylesheet applied.
      expect(await page.locator('#incidents tr.incident').count()).toBe(doc.summary.incidents);
      expect(await page.locator('#worst tr.incident').count()).toBe(Math.min(10, doc.summary.incidents));
      expect(await page.locator('.card[data-stat="incidents"] b').innerText()).toBe(String(doc.summary.incidents));
      const fill = await bars.first().evaluate((e) => e.ownerDocument.defaultView!.getComputedStyle(e).fill);
      expect(fill).toBe('rgb(198, 40, 40)');
      // Masked by default.
      expect(await page.locator('body').innerText()).not.toContain('sales@corp.example');
      await page.screenshot({ path: path.join(tmp, 'audit.png'), fullPage: true });
      if (process.env.MAILGUARD_SCREENSHOT) await page.screenshot({ path: process.env.MAILGUARD_SCREENSHOT, fullPage: true });
      expect(problems).toEqual([]);
      expect(requests.filter((u) => !u.startsWith('file:'))).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('renders an audit without incidents: no bars, a plain statement, no errors', async () => {
    const html = path.join(tmp, 'clean.html');
    const r = await runCli(['audit', 'fixtures/audit-2026-01-internal.eml', '--internal-domain', 'corp.example', '--html', html]);
    expect(r.code).toBe(0);
    const { page, problems } = await open(html);
    try {
      expect(await page.locator('svg.chart rect.bar').count()).toBe(0);
      expect(await page.locator('body').innerText()).toContain('No message exposed external recipients.');
      expect(problems).toEqual([]);
    } finally {
      await page.close();
    }
  });
});
