// SPDX-License-Identifier: BSD-2-Clause
// The rating page in a real browser: the system's Chromium, headless,
// driven by playwright-core. Run by tests/integration/t-browser.sh, which
// sets up Postfix + mailmood-milter + mailmoodd and checks the store; this
// script only drives the browser and prints what it saw as one JSON object
// on stdout (the shell test asserts on it).
//
//   node rate.mjs INPUT.json
// INPUT: chromium, profile (a fresh directory: one user data dir per
// scenario below it), artifacts (screenshot directory), jsLink, scanLink,
// mailHtml (the delivered mail's text/html part as a file), mailLevel,
// why, better, nojsWhy.
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
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 800 };
// A person's browsers. Chromium's own headless user agent says
// "HeadlessChrome", which mailmoodd rightly treats as a scanner (the
// scanner scenario keeps it).
const UA_PHONE = 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 ' +
	'(KHTML, like Gecko) Chrome/130.0.0.0 Mobile Safari/537.36';
const UA_DESKTOP = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 ' +
	'(KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36';
const TIMEOUT = 15000;
const out = {};

// Each scenario gets its own browser with a fresh --user-data-dir (a
// persistent context is how playwright takes a user data dir).
async function withBrowser(name, options, fn) {
	const dir = join(input.profile, name);
	mkdirSync(dir, { recursive: true });
	const ctx = await chromium.launchPersistentContext(dir, {
		executablePath: input.chromium,
		headless: true,
		args: ARGS,
		locale: 'en-US',
		timeout: 30000,
		...options,
	});
	ctx.setDefaultTimeout(TIMEOUT);
	try {
		const page = ctx.pages()[0] || await ctx.newPage();
		return await fn(page, ctx);
	} finally {
		await ctx.close();
	}
}

// Console errors, page errors and CSP reports, and the page's POSTs.
function watch(page) {
	const w = { problems: [], posts: [], scripted: 0 };
	page.on('console', (m) => {
		// failed loads are reported below, with their URL
		if ((m.type() === 'error' || m.type() === 'warning') &&
		    !m.text().startsWith('Failed to load resource'))
			w.problems.push(`console ${m.type()}: ${m.text()}`);
	});
	page.on('pageerror', (e) => w.problems.push(`pageerror: ${e.message}`));
	page.on('request', (r) => {
		if (r.resourceType() === 'fetch' || r.resourceType() === 'xhr')
			w.scripted++;
	});
	page.on('requestfailed', (r) => {
		if (!r.url().startsWith('file:'))
			w.problems.push(`requestfailed: ${r.url()} ${r.failure()?.errorText}`);
	});
	page.on('response', async (r) => {
		const q = r.request();
		// a browser asks for /favicon.ico by itself; mailmoodd has none
		if (r.status() >= 400 && !r.url().endsWith('/favicon.ico'))
			w.problems.push(`HTTP ${r.status()}: ${q.method()} ${r.url()}`);
		if (q.method() !== 'POST')
			return;
		const form = new URLSearchParams(q.postData() || '');
		w.posts.push({ via: form.get('via'), level: form.get('level'),
			status: r.status() });
	});
	return w;
}

const shot = (page, name, fullPage = false) =>
	page.screenshot({ path: join(input.artifacts, `${name}.png`), fullPage });

async function landing(page) {
	return page.evaluate(() => {
		const $ = (s) => document.querySelector(s);
		const checked = $('input[name="level"]:checked');
		return {
			title: document.title,
			context: ($('.context')?.textContent || '').replace(/\s+/g, ' ').trim(),
			chosen: ($('.chosen-label')?.textContent || '').trim(),
			checked: checked ? checked.value : null,
			statusClass: $('#mm-status')?.className || null,
			statusText: ($('#mm-status')?.textContent || '').trim(),
			bodyRecorded: document.body.classList.contains('recorded'),
			overflowX: document.documentElement.scrollWidth > window.innerWidth,
		};
	});
}

// The script's confirmation settles as "recorded" or "confirm".
const settled = (page) => page.waitForSelector(
	'#mm-status.status-recorded, #mm-status.status-confirm');

async function submit(page) {
	const [resp] = await Promise.all([
		page.waitForResponse((r) => r.request().method() === 'POST' &&
			r.request().resourceType() === 'document'),
		page.getByRole('button', { name: /send my rating/i }).click(),
	]);
	await page.waitForLoadState('load');
	const why = page.locator('#why');
	return {
		thanksStatus: resp.status(),
		thanksTitle: await page.title(),
		thanksWhy: await why.count() ? await why.inputValue() : null,
		thanksText: (await page.locator('body').innerText()).slice(0, 300),
	};
}

// 1. A person on a phone with JavaScript: the page confirms, they type.
out.js = await withBrowser('js', {
	viewport: PHONE, isMobile: true, hasTouch: true, userAgent: UA_PHONE,
}, async (page) => {
	const w = watch(page);
	await page.goto(input.jsLink, { waitUntil: 'load' });
	await settled(page);
	await page.waitForTimeout(300); // the recorded state is drawn
	const seen = await landing(page);
	await shot(page, 'landing-js-phone');
	seen.confirmPosts = [...w.posts];
	await page.getByLabel(/^why\?/i).fill(input.why);
	await page.getByLabel(/what could we do better/i).fill(input.better);
	Object.assign(seen, await submit(page));
	await shot(page, 'thanks-js-phone');
	seen.problems = w.problems;
	return seen;
});

// 2. The same link later on a desktop: confirms the same level again.
out.desktop = await withBrowser('desktop', {
	viewport: DESKTOP, userAgent: UA_DESKTOP,
}, async (page) => {
	const w = watch(page);
	await page.goto(input.jsLink, { waitUntil: 'load' });
	await settled(page);
	await page.waitForTimeout(300);
	const seen = await landing(page);
	await shot(page, 'landing-js-desktop');
	seen.problems = w.problems;
	return seen;
});

// 3. Without JavaScript: the closure mail as a mail client shows it (no
// scripts there either), a click on a link in it, the button.
await withBrowser('nojs', {
	viewport: DESKTOP, userAgent: UA_DESKTOP, javaScriptEnabled: false,
}, async (page) => {
	const w = watch(page);
	await page.goto(pathToFileURL(input.mailHtml).href, { waitUntil: 'load' });
	await shot(page, 'mail-desktop', true);
	await page.setViewportSize(PHONE);
	await shot(page, 'mail-phone', true);
	await page.setViewportSize(DESKTOP);
	const links = page.locator('a[href*="/r/"]');
	out.mail = { links: await links.count() };
	await Promise.all([
		page.waitForURL(/\/r\//, { waitUntil: 'load' }),
		page.locator(`a[href$="/${input.mailLevel}"]`).click(),
	]);
	out.mail.clicked = page.url().split('/').pop();
	const seen = await landing(page);
	seen.url = page.url();
	seen.postsBefore = [...w.posts];
	await shot(page, 'landing-nojs-desktop');
	await page.getByLabel(/^why\?/i).fill(input.nojsWhy);
	Object.assign(seen, await submit(page));
	await shot(page, 'thanks-nojs-desktop');
	seen.scripts = w.scripted;
	seen.posts = w.posts;
	seen.problems = w.problems;
	out.nojs = seen;
});

// 4. Chromium as it comes (user agent "HeadlessChrome"): a scanner.
out.scanner = await withBrowser('scanner', { viewport: DESKTOP },
	async (page) => {
		const w = watch(page);
		await page.goto(input.scanLink, { waitUntil: 'load' });
		await settled(page);
		const seen = await landing(page);
		seen.userAgent = await page.evaluate(() => navigator.userAgent);
		seen.posts = w.posts;
		await shot(page, 'landing-scanner-desktop');
		return seen;
	});

process.stdout.write(JSON.stringify(out, null, 1) + '\n');
