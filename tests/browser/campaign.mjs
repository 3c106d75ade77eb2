// SPDX-License-Identifier: BSD-2-Clause
// The campaign 0-10 page in a real browser (the system's Chromium,
// headless, playwright-core), run by tests/integration/t-campaign-browser.sh:
// at phone widths the eleven choices must all be on screen without
// scrolling sideways; a tap on 9 with a comment records the answer. Also
// renders the campaign report's HTML for the README screenshot. Prints
// what it saw as one JSON object on stdout.
//
//   node campaign.mjs INPUT.json
// INPUT: chromium, profile, artifacts, link (BASE/c/TOKEN/8), report
// (an HTML file), better.
import { chromium } from 'playwright-core';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const input = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu',
	'--no-first-run', '--disable-background-networking',
	'--disable-component-update', '--disable-sync'];
const UA_PHONE = 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 ' +
	'(KHTML, like Gecko) Chrome/130.0.0.0 Mobile Safari/537.36';
const out = { phones: {} };

async function withBrowser(name, options, fn) {
	const dir = join(input.profile, name);
	mkdirSync(dir, { recursive: true });
	const ctx = await chromium.launchPersistentContext(dir, {
		executablePath: input.chromium, headless: true, args: ARGS,
		locale: 'nl-NL', timeout: 30000, ...options,
	});
	ctx.setDefaultTimeout(15000);
	try {
		return await fn(ctx.pages()[0] || await ctx.newPage());
	} finally {
		await ctx.close();
	}
}

// Every choice inside the viewport, nothing wider than the screen.
const layout = (page) => page.evaluate(() => {
	const b = [...document.querySelectorAll('.nps button')];
	return {
		n: b.length,
		labels: b.map((x) => x.textContent.trim()).join(','),
		pressed: b.filter((x) => x.getAttribute('aria-pressed') === 'true')
			.map((x) => x.textContent.trim()).join(','),
		overflowX: document.documentElement.scrollWidth > window.innerWidth,
		allVisible: b.every((x) => {
			const r = x.getBoundingClientRect();
			return r.left >= 0 && r.right <= window.innerWidth && r.width >= 20;
		}),
		minWidth: Math.min(...b.map((x) => x.getBoundingClientRect().width)),
		// the stylesheet came (the CSP allows no inline style)
		styled: b.length > 0 && getComputedStyle(b[0]).backgroundColor === 'rgb(192, 57, 43)',
	};
});

for (const w of [320, 390]) {
	out.phones[w] = await withBrowser(`phone${w}`, {
		viewport: { width: w, height: 740 }, isMobile: true, hasTouch: true,
		userAgent: UA_PHONE,
	}, async (page) => {
		await page.goto(input.link, { waitUntil: 'load' });
		const seen = await layout(page);
		await page.screenshot({ path: join(input.artifacts, `campaign-phone-${w}.png`) });
		return seen;
	});
}

// A tap on 9 with a comment: the form posts, the page thanks.
out.answer = await withBrowser('answer', {
	viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true,
	userAgent: UA_PHONE,
}, async (page) => {
	await page.goto(input.link, { waitUntil: 'load' });
	await page.fill('#better', input.better);
	const [resp] = await Promise.all([
		page.waitForResponse((r) => r.request().method() === 'POST'),
		page.locator('.nps button', { hasText: /^9$/ }).click(),
	]);
	await page.waitForLoadState('load');
	const after = await layout(page);
	return { status: resp.status(), pressed: after.pressed,
		thanks: (await page.locator('.saved').innerText()).trim() };
});

out.report = await withBrowser('report', {
	viewport: { width: 1100, height: 420 },
}, async (page) => {
	await page.goto(pathToFileURL(input.report).href, { waitUntil: 'load' });
	await page.screenshot({ path: join(input.artifacts, 'campaign-report.png'), fullPage: true });
	return { rows: await page.locator('tr').count() };
});

console.log(JSON.stringify(out));
