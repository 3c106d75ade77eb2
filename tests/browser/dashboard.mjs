// SPDX-License-Identifier: BSD-2-Clause
// The dashboard of mailmoodd and the html report in a real browser: the
// system's Chromium, headless, driven by playwright-core. Run by
// tests/integration/t-dashboard-browser.sh, which starts mailmoodd on a
// seeded store, creates the users and writes the report; this script only
// drives the browser and prints what it saw as one JSON object on stdout
// (the shell test asserts on it).
//
//   node dashboard.mjs INPUT.json
// INPUT: chromium, profile (a fresh directory), artifacts (screenshot
// directory), url (base URL of mailmoodd), team {user, password, own,
// other}, ack {url (the signed /a/TOKEN link of an open alert of the own
// team), ticket, name}, admin {user, password}, locked {user, password, failures},
// report (the html report as a file).
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
const DESKTOP = { width: 1280, height: 800 };
const UA_DESKTOP = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 ' +
	'(KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36';
const TIMEOUT = 15000;
const out = {};

async function withBrowser(name, options, fn) {
	const dir = join(input.profile, name);
	mkdirSync(dir, { recursive: true });
	const ctx = await chromium.launchPersistentContext(dir, {
		executablePath: input.chromium,
		headless: true,
		args: ARGS,
		locale: 'en-US',
		timeout: 30000,
		viewport: DESKTOP,
		userAgent: UA_DESKTOP,
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

// Page errors and CSP violations (the dashboard has no script at all).
function watch(page) {
	const w = { problems: [] };
	page.on('console', (m) => {
		if ((m.type() === 'error' || m.type() === 'warning') &&
		    !m.text().startsWith('Failed to load resource'))
			w.problems.push(`console ${m.type()}: ${m.text()}`);
	});
	page.on('pageerror', (e) => w.problems.push(`pageerror: ${e.message}`));
	return w;
}

const shot = (page, name, fullPage = true) =>
	page.screenshot({ path: join(input.artifacts, `${name}.png`), fullPage });

// Fills and submits the login form; the status of the POST's answer.
async function login(page, user, password) {
	await page.goto(`${input.url}/admin/login`, { waitUntil: 'load' });
	await page.getByLabel('User').fill(user);
	await page.getByLabel('Password').fill(password);
	const [resp] = await Promise.all([
		page.waitForResponse((r) => r.request().method() === 'POST' &&
			r.url().endsWith('/admin/login')),
		page.locator('form[action$="/admin/login"] button').click(),
	]);
	await page.waitForLoadState('load');
	return resp.status();
}

// The text of the "Open red alerts" list of a team page.
const openAlerts = (page) => page.evaluate(() => {
	const h = [...document.querySelectorAll('h2')]
		.find((e) => e.textContent.trim() === 'Open red alerts');
	const ul = h && h.nextElementSibling;
	return ul && ul.tagName === 'UL' ? ul.innerText : null;
});

const teamLinks = (page) => page.$$eval('a[href*="/admin/team/"]',
	(as) => as.map((a) => decodeURIComponent(
		a.getAttribute('href').split('/admin/team/')[1])));

// 1. A team user: login, only their team, another team by direct URL,
// logout.
out.team = await withBrowser('team', {}, async (page) => {
	const w = watch(page);
	const t = input.team;
	const seen = {};
	seen.anonymous = (await page.goto(`${input.url}/admin/`,
		{ waitUntil: 'load' }), new URL(page.url()).pathname);
	seen.wrongStatus = await login(page, t.user, 'not-the-password');
	seen.wrongText = (await page.locator('.err').allInnerTexts()).join(' ');
	seen.loginStatus = await login(page, t.user, t.password);
	seen.afterLogin = new URL(page.url()).pathname;
	seen.title = await page.title();
	seen.teams = await teamLinks(page);
	seen.svgs = await page.locator('svg').count();
	seen.bodyHasOther = (await page.locator('body').innerText())
		.includes(t.other);
	await shot(page, 'dashboard-overview-team');
	const own = await page.goto(`${input.url}/admin/team/${t.own}`,
		{ waitUntil: 'load' });
	seen.ownStatus = own.status();
	seen.ownHeading = (await page.locator('h1').innerText()).trim();
	await shot(page, 'dashboard-team-page');
	// acknowledge an alert of the own team through its signed link
	const a = input.ack;
	const ack = { name: a.name };
	const before = await openAlerts(page);
	ack.openBefore = before !== null && before.includes(a.ticket);
	const form = await page.goto(a.url, { waitUntil: 'load' });
	ack.formStatus = form.status();
	ack.hasForm = await page.locator('form[method="post"] input[name="csrf"]')
		.count() === 1;
	await page.getByLabel('Your name').fill(a.name);
	const [posted] = await Promise.all([
		page.waitForResponse((r) => new URL(r.url()).pathname ===
			new URL(a.url).pathname && r.request().method() === 'POST'),
		page.getByRole('button', { name: /taking this/i }).click(),
	]);
	await page.waitForLoadState('load');
	ack.postMethod = posted.request().method();
	ack.postStatus = posted.status();
	ack.path = new URL(page.url()).pathname;
	ack.ackedText = (await page.locator('.acked').allInnerTexts()).join(' ');
	await shot(page, 'dashboard-ack');
	const after = await page.goto(`${input.url}/admin/team/${t.own}`,
		{ waitUntil: 'load' });
	ack.teamStatusAfter = after.status();
	const open = await openAlerts(page);
	ack.openAfter = open === null || open.includes(a.ticket);
	out.ack = ack;
	const other = await page.goto(`${input.url}/admin/team/${t.other}`,
		{ waitUntil: 'load' });
	seen.otherStatus = other.status();
	seen.otherText = (await page.locator('body').innerText()).slice(0, 200);
	const csv = await page.request.get(
		`${input.url}/admin/export.csv?team=${t.other}`);
	seen.otherCsvStatus = csv.status();
	// logout with the header's button
	await page.goto(`${input.url}/admin/`, { waitUntil: 'load' });
	await Promise.all([
		page.waitForURL((u) => !u.pathname.endsWith('/admin/') ||
			u.pathname.endsWith('/login'), { waitUntil: 'load' }),
		page.getByRole('button', { name: /log out/i }).click(),
	]);
	seen.afterLogout = new URL(page.url()).pathname;
	const again = await page.goto(`${input.url}/admin/`,
		{ waitUntil: 'load' });
	seen.afterLogoutOverview = new URL(page.url()).pathname;
	seen.afterLogoutStatus = again.status();
	seen.problems = w.problems;
	return seen;
});

// 2. An admin sees every team.
out.admin = await withBrowser('admin', {}, async (page) => {
	const w = watch(page);
	const seen = {};
	seen.loginStatus = await login(page, input.admin.user,
		input.admin.password);
	seen.teams = await teamLinks(page);
	await shot(page, 'dashboard-overview-admin');
	seen.problems = w.problems;
	return seen;
});

// 3. Lockout: failures in a row, then even the right password is refused.
out.lockout = await withBrowser('lockout', {}, async (page) => {
	const l = input.locked;
	const seen = { failures: [] };
	for (let i = 0; i < l.failures; i++)
		seen.failures.push(await login(page, l.user, `wrong-${i}`));
	seen.rightStatus = await login(page, l.user, l.password);
	seen.rightText = (await page.locator('.err').allInnerTexts()).join(' ');
	seen.path = new URL(page.url()).pathname;
	await shot(page, 'dashboard-lockout');
	return seen;
});

// 4. The html report of mailmoodctl: its SVG charts are drawn.
out.report = await withBrowser('report', { javaScriptEnabled: true },
	async (page) => {
		const w = watch(page);
		await page.goto(pathToFileURL(input.report).href,
			{ waitUntil: 'load' });
		const seen = await page.evaluate(() => {
			const box = (e) => {
				const r = e.getBoundingClientRect();
				return [Math.round(r.width), Math.round(r.height)];
			};
			const svgs = [...document.querySelectorAll('svg')];
			return {
				title: document.title,
				svgs: svgs.map((s) => ({
					box: box(s),
					// the drawn marks, not just the frame
					marks: [...s.querySelectorAll(
						'polyline, path, rect, circle, line')]
						.filter((m) => {
							const b = m.getBBox();
							return b.width > 0 || b.height > 0;
						}).length,
				})),
				external: [...document.querySelectorAll(
					'link[href], script[src], img[src]')].length,
			};
		});
		await shot(page, 'report-html');
		seen.problems = w.problems;
		return seen;
	});

process.stdout.write(JSON.stringify(out) + '\n');
