// SPDX-License-Identifier: BSD-2-Clause
// The customer digest in a real browser: the system's Chromium, headless,
// driven by playwright-core. Run by tests/integration/t-customer-browser.sh,
// which makes the digest (Postfix, mailmood-milter, mailmoodctl
// customer-digest, smtp-sink) and checks the store; this script renders
// the digest's HTML part, clicks its links and prints what it saw as one
// JSON object on stdout.
//
//   node customer.mjs INPUT.json
// INPUT: chromium, profile, artifacts, mailHtml (the digest's text/html
// part as a file).
import { chromium } from 'playwright-core';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const input = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const ARGS = [
	'--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
	'--no-first-run', '--disable-background-networking',
	'--disable-component-update', '--disable-sync',
];
const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 ' +
	'(KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36';
const out = {};

async function withBrowser(name, options, fn) {
	const dir = join(input.profile, name);
	mkdirSync(dir, { recursive: true });
	const ctx = await chromium.launchPersistentContext(dir, {
		executablePath: input.chromium, headless: true, args: ARGS,
		locale: 'en-US', timeout: 30000,
		viewport: { width: 1280, height: 800 }, userAgent: UA, ...options,
	});
	ctx.setDefaultTimeout(15000);
	try {
		const page = ctx.pages()[0] || await ctx.newPage();
		return await fn(page);
	} finally {
		await ctx.close();
	}
}

function watch(page) {
	const w = { problems: [], posts: [] };
	page.on('console', (m) => {
		if ((m.type() === 'error' || m.type() === 'warning') &&
		    !m.text().startsWith('Failed to load resource'))
			w.problems.push(`console ${m.type()}: ${m.text()}`);
	});
	page.on('pageerror', (e) => w.problems.push(`pageerror: ${e.message}`));
	page.on('response', (r) => {
		const q = r.request();
		if (r.status() >= 400 && !r.url().endsWith('/favicon.ico'))
			w.problems.push(`HTTP ${r.status()}: ${q.method()} ${r.url()}`);
		if (q.method() === 'POST') {
			const f = new URLSearchParams(q.postData() || '');
			w.posts.push({ via: f.get('via'), level: f.get('level'),
				status: r.status() });
		}
	});
	return w;
}

const state = (page) => page.evaluate(() => {
	const $ = (s) => document.querySelector(s);
	const checked = $('input[name="level"]:checked');
	return {
		title: document.title,
		context: ($('.context')?.textContent || '').replace(/\s+/g, ' ').trim(),
		chosen: ($('.chosen-label')?.textContent || '').trim(),
		checked: checked ? checked.value : null,
		statusClass: $('#mm-status')?.className || null,
		recorded: document.body.classList.contains('recorded'),
	};
});

// With JavaScript: the mail's amber link, the page confirms by itself;
// then gold is picked and saved with the button (a change).
out.js = await withBrowser('js', {}, async (page) => {
	const w = watch(page);
	await page.goto(pathToFileURL(input.mailHtml).href);
	const links = await page.$$eval('a.mm-customer-level',
		(as) => as.map((a) => a.textContent.trim()));
	await page.screenshot({ path: join(input.artifacts, 'customer-digest.png'), fullPage: true });
	await Promise.all([
		page.waitForURL(/\/k\/[A-Za-z0-9_-]{39}\/2$/),
		page.locator('a.mm-customer-level[href$="/2"]').first().click(),
	]);
	await page.waitForSelector('#mm-status.status-recorded, #mm-status.status-confirm');
	const first = await state(page);
	await page.screenshot({ path: join(input.artifacts, 'customer-page.png'), fullPage: true });
	await page.locator('label[for="lv-4"]').click();
	await Promise.all([
		page.waitForResponse((r) => r.request().method() === 'POST' &&
			r.request().resourceType() === 'document'),
		page.getByRole('button', { name: /save my rating/i }).click(),
	]);
	await page.waitForLoadState('load');
	const after = await state(page);
	return { links, first, after, posts: w.posts, problems: w.problems };
});

// Without JavaScript: the page waits for the button.
out.nojs = await withBrowser('nojs', { javaScriptEnabled: false }, async (page) => {
	const w = watch(page);
	await page.goto(pathToFileURL(input.mailHtml).href);
	const hrefs = await page.$$eval('a.mm-customer-level', (as) => as.map((a) => a.href));
	await page.goto(hrefs[hrefs.length - 1]);
	const before = await state(page);
	const postsBefore = w.posts.length;
	await Promise.all([
		page.waitForResponse((r) => r.request().method() === 'POST'),
		page.getByRole('button', { name: /save my rating/i }).click(),
	]);
	await page.waitForLoadState('load');
	return { before, postsBefore, after: await state(page), problems: w.problems };
});

process.stdout.write(JSON.stringify(out) + '\n');
