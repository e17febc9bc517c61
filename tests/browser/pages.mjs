// Drives a real headless Chromium (Debian's /usr/bin/chromium through playwright-core; no browser
// is ever downloaded) through the pages of a live mcp-oauth server, as a person would:
//
//   1. approve: the authorize URL → the login page (a wrong password first, then the right one)
//      → the consent page → Approve → the client's redirect URI (a loopback URL nobody listens
//      on: the browser's request to it is observed) with code, state and iss;
//   2. deny: a second authorize URL → (already signed in) the consent page → Deny → the redirect
//      URI with error=access_denied and the state;
//   3. connections: the connections page lists the client; its Revoke button revokes; the page
//      no longer lists it;
//   4. error: an authorize URL with an unknown client → the error page, no redirect.
//
// Every page is measured at 390 px wide (document.documentElement.scrollWidth must not exceed
// it) and saved as a PNG at 390 px and at 1280 px in --artifacts.
//
// Output: one JSON object per line on stdout. After each of the steps 1–3 an
// {"event":"approved"|"denied"|"revoked", ...} line; with --pause the script then waits for a
// line on stdin before going on (the Rust test checks the database and exchanges the code in
// between). Last, {"event":"result", ...} with everything observed; or {"event":"error", ...}
// and exit status 1. Diagnostics go to stderr.
//
//   node pages.mjs --server http://127.0.0.1:PORT --approve-url URL --deny-url URL \
//     --invalid-url URL --redirect-prefix http://127.0.0.1/callback --username U \
//     --password P --client-name NAME --artifacts DIR [--pause]

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';

const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 800 };
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const { values: opt } = parseArgs({
  options: {
    server: { type: 'string' },
    'approve-url': { type: 'string' },
    'deny-url': { type: 'string' },
    'invalid-url': { type: 'string' },
    'redirect-prefix': { type: 'string' },
    username: { type: 'string' },
    password: { type: 'string' },
    'client-name': { type: 'string' },
    artifacts: { type: 'string' },
    chromium: { type: 'string', default: process.env.CHROMIUM || '/usr/bin/chromium' },
    pause: { type: 'boolean', default: false },
  },
});
for (const k of ['server', 'approve-url', 'deny-url', 'invalid-url', 'redirect-prefix', 'username', 'password', 'client-name', 'artifacts']) {
  if (!opt[k]) {
    console.error(`pages.mjs: --${k} is required`);
    process.exit(2);
  }
}

const emit = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');
const log = (...a) => console.error('pages.mjs:', ...a);

const stdinLines = opt.pause ? createInterface({ input: process.stdin })[Symbol.asyncIterator]() : null;
async function waitForGoAhead(step) {
  if (!stdinLines) return;
  const { value, done } = await stdinLines.next();
  if (done) throw new Error(`stdin closed while waiting after "${step}"`);
  if (value.trim() !== 'continue') throw new Error(`after "${step}" the test said: ${value.trim()}`);
}

mkdirSync(opt.artifacts, { recursive: true });

/** Width, texts and screenshots of the page as it is now; name is the screenshot's file stem. */
async function inspect(page, name, status) {
  await page.setViewportSize(PHONE);
  const m = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    clientWidth: document.documentElement.clientWidth,
    bodyScrollWidth: document.body.scrollWidth,
    title: document.title,
    h1: document.querySelector('h1')?.innerText ?? null,
    text: document.body.innerText,
    // Elements wider than the viewport, for a useful failure message.
    overflowing: [...document.querySelectorAll('body *')]
      .filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
      .map((e) => `${e.tagName.toLowerCase()}${e.className ? '.' + e.className : ''}`)
      .slice(0, 10),
  }));
  const phone = join(opt.artifacts, `${name}-390.png`);
  await page.screenshot({ path: phone, fullPage: true });
  await page.setViewportSize(DESKTOP);
  const desktop = join(opt.artifacts, `${name}-1280.png`);
  await page.screenshot({ path: desktop, fullPage: true });
  await page.setViewportSize(PHONE);
  const url = new URL(page.url());
  return { name, status, path: url.pathname, ...m, screenshots: [phone, desktop] };
}

/**
 * Clicks the button named `label`; the request the browser then makes to the redirect URI, which
 * fails (nothing listens there). Returns once the browser shows its error page for it, so that
 * the next navigation is not interrupted by that one.
 */
async function decide(page, label) {
  const [request] = await Promise.all([
    page.waitForRequest((r) => r.url().startsWith(opt['redirect-prefix']) && r.isNavigationRequest()),
    page.getByRole('button', { name: label, exact: true }).click({ noWaitAfter: true }),
  ]);
  if ((await request.response()) === null) {
    const deadline = Date.now() + 10000;
    while (!page.url().startsWith('chrome-error:') && Date.now() < deadline) await page.waitForTimeout(20);
    await page.waitForLoadState('load');
  }
  const url = new URL(request.url());
  const chain = [];
  for (let r = request.redirectedFrom(); r; r = r.redirectedFrom()) chain.unshift(`${r.method()} ${new URL(r.url()).pathname}`);
  return { url: url.href, params: Object.fromEntries(url.searchParams), via: chain, failure: request.failure()?.errorText ?? null };
}

/** The consent page's facts: what the Rust test asserts on. */
async function consentFacts(page) {
  return page.evaluate(() => ({
    heading: document.querySelector('h1')?.innerText ?? null,
    // The client name must arrive as text: no element the name could have injected.
    injectedElements: document.querySelectorAll('main b, main script, main img').length,
    scopes: [...document.querySelectorAll('main li')].map((li) => li.innerText),
    buttons: [...document.querySelectorAll('button')].map((b) => b.innerText),
  }));
}

async function connectionCards(page) {
  return page.evaluate(() =>
    [...document.querySelectorAll('main .card')].map((c) => ({
      name: c.querySelector('strong')?.innerText ?? null,
      text: c.innerText,
    })),
  );
}

const result = { event: 'result', pages: {} };
const browser = await chromium.launch({
  executablePath: opt.chromium,
  headless: true,
  args: CHROMIUM_ARGS,
});
let page;
try {
  const context = await browser.newContext({ viewport: PHONE });
  page = await context.newPage();
  page.setDefaultTimeout(15000);
  // The redirect URI is a loopback URL where nothing listens (as with a desktop client that has
  // closed its port): the browser's request to it is the authorization response. Playwright does
  // not route the redirect of a form POST, so the request is observed, and the navigation's
  // failure is expected.
  const callbacks = [];
  page.on('request', (r) => {
    if (r.url().startsWith(opt['redirect-prefix'])) callbacks.push(r.url());
  });
  const server = new URL(opt.server);

  // 1. Approve, through login.
  let resp = await page.goto(opt['approve-url']);
  result.pages.login = await inspect(page, 'login', resp.status());
  await page.fill('#username', opt.username);
  await page.fill('#password', opt.password + ' but wrong');
  await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Sign in' }).click()]);
  result.pages.loginFailed = await inspect(page, 'login-failed', null);
  result.pages.loginFailed.alert = await page.locator('[role=alert]').innerText();
  // The form keeps the user name; the password is typed again.
  result.pages.loginFailed.keptUsername = await page.inputValue('#username');
  await page.fill('#password', opt.password);
  await Promise.all([
    page.waitForURL((u) => u.pathname === '/api/oauth/authorize'),
    page.getByRole('button', { name: 'Sign in' }).click(),
  ]);
  result.pages.consent = { ...(await inspect(page, 'consent', null)), ...(await consentFacts(page)) };
  const approved = await decide(page, 'Approve');
  result.approve = { ...approved, callbacksRequested: callbacks.length };
  emit({ event: 'approved', ...approved });
  await waitForGoAhead('approved');

  // 2. Deny: still signed in, so straight to the consent page.
  resp = await page.goto(opt['deny-url']);
  const denyConsent = { status: resp.status(), path: new URL(page.url()).pathname, ...(await consentFacts(page)) };
  const denied = await decide(page, 'Deny');
  result.deny = { consent: denyConsent, ...denied, callbacksRequested: callbacks.length };
  emit({ event: 'denied', ...denied });
  await waitForGoAhead('denied');

  // 3. The connections page, and its Revoke button.
  resp = await page.goto(new URL('/api/oauth/connections', server).href);
  result.pages.connections = { ...(await inspect(page, 'connections', resp.status())), cards: await connectionCards(page) };
  const card = page.locator('main .card').filter({ has: page.getByText(opt['client-name'], { exact: true }) });
  const matching = await card.count();
  if (matching !== 1) throw new Error(`the connections page shows ${matching} cards named ${opt['client-name']}`);
  const [revokeResponse] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/oauth/connections'),
    page.waitForEvent('load'),
    card.getByRole('button', { name: 'Revoke' }).click(),
  ]);
  result.pages.connectionsAfterRevoke = {
    ...(await inspect(page, 'connections-after-revoke', null)),
    cards: await connectionCards(page),
    revokePostStatus: revokeResponse.status(),
  };
  emit({ event: 'revoked', cards: result.pages.connectionsAfterRevoke.cards });
  await waitForGoAhead('revoked');

  // 4. An unknown client: an error page, never a redirect.
  resp = await page.goto(opt['invalid-url']);
  result.pages.invalidClient = { ...(await inspect(page, 'invalid-client', resp.status())), url: page.url() };
  result.callbacksRequested = callbacks.length;

  emit(result);
} catch (e) {
  log(e.stack || String(e));
  if (page) {
    await page.screenshot({ path: join(opt.artifacts, 'failure.png'), fullPage: true }).catch(() => {});
  }
  emit({ event: 'error', message: String(e.message || e), url: page?.url() ?? null, partial: result });
  process.exitCode = 1;
} finally {
  await browser.close();
  stdinLines?.return?.();
  process.stdin.destroy();
}
