#!/usr/bin/env node
// Checks every consent fixture (crates/fixtures/src/consent) in Debian's Chromium against the
// truth its case data states: the banner shows where the case says, its buttons carry the
// labels the case records, and each visitor (no choice, "Accept all", "Reject all") ends up with
// exactly the cookies the case lists, including the ones set and deleted again within a visit.
// It is a development check, not a test: the Rust tests never need Node.
//
// Usage (from the repository root, after `cargo build -p cookie-audit-fixtures`):
//   npm i --prefix /tmp/pw playwright-core    # once; nothing is downloaded at test time
//   NODE_PATH=/tmp/pw/node_modules node scripts/consent-fixtures-check.mjs [case-id ...]
// Environment: CHROME (default /usr/bin/chromium), FIXTURE_SERVER (default
// target/debug/fixture-server), PORT (default 18480; HTTPS on PORT+1).

import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import readline from 'node:readline';

const require = createRequire(import.meta.url);
const { chromium } = require('playwright-core');

const CHROME = process.env.CHROME || '/usr/bin/chromium';
const SERVER = process.env.FIXTURE_SERVER || 'target/debug/fixture-server';
const PORT = Number(process.env.PORT || 18480);
// A visitor's Chrome on Linux: no "HeadlessChrome", nothing a bot filter matches.
const VISITOR_UA =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36';
const SETTLE_MS = 800;
const NAV_TIMEOUT_MS = 8000;

function startServer() {
  const child = spawn(SERVER, ['consent', '--port', String(PORT)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = readline.createInterface({ input: child.stdout });
  return new Promise((resolve, reject) => {
    lines.once('line', (line) => resolve({ child, info: JSON.parse(line) }));
    child.once('exit', (code) => reject(new Error(`fixture-server exited with ${code}`)));
  });
}

// Runs in every frame before any page script: records each document.cookie write.
const HOOK = () => {
  const desc = Object.getOwnPropertyDescriptor(Document.prototype, 'cookie');
  Object.defineProperty(Document.prototype, 'cookie', {
    configurable: true,
    get() { return desc.get.call(this); },
    set(value) {
      try { window.__cookieWrite(String(value)); } catch (e) { /* binding not ready */ }
      desc.set.call(this, value);
    },
  });
};

function parseWrite(line, via) {
  const [pair, ...attrs] = line.split(';');
  const eq = pair.indexOf('=');
  const name = (eq < 0 ? '' : pair.slice(0, eq)).trim();
  const value = eq < 0 ? pair.trim() : pair.slice(eq + 1).trim();
  let deletion = false;
  let domain = null;
  for (const attr of attrs) {
    const [k, ...v] = attr.split('=');
    const key = k.trim().toLowerCase();
    const val = v.join('=').trim();
    if (key === 'max-age' && Number(val) <= 0) deletion = true;
    if (key === 'expires' && Date.parse(val) < Date.now()) deletion = true;
    if (key === 'domain') domain = val.replace(/^\./, '').toLowerCase();
  }
  return { name, value, deletion, domain, via, bytes: name.length + value.length };
}

// Follows the writes of one run: set, then deleted while it existed.
class Ledger {
  constructor() { this.live = new Set(); this.set = new Set(); this.deleted = new Set(); this.writes = []; }
  record(write) {
    this.writes.push(write);
    if (write.deletion) {
      if (this.live.has(write.name)) { this.deleted.add(write.name); this.live.delete(write.name); }
    } else if (write.bytes <= 4096) {
      this.set.add(write.name);
      this.live.add(write.name);
    }
  }
}

// Each run is a fresh profile in its own browser process, as a visitor's Chrome: an
// incognito-like context would block the third-party cookies a visitor's Chrome stores.
async function newRun(launch, { ua = VISITOR_UA, automation = false } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'consent-check-'));
  // Chromium 156 blocks third-party cookies in a new profile; a visitor's Chrome does not
  // (the browser engine writes the same preference, crates/browser/src/launch.rs).
  mkdirSync(join(dir, 'Default'));
  writeFileSync(join(dir, 'Default', 'Preferences'), '{"profile":{"cookie_controls_mode":0}}');
  const context = await chromium.launchPersistentContext(dir, { ...launch, ignoreHTTPSErrors: true, userAgent: ua });
  const close = async () => {
    await context.close().catch(() => {});
    try { rmSync(dir, { recursive: true, force: true, maxRetries: 3 }); } catch (e) { /* left in tmp */ }
  };
  const ledger = new Ledger();
  const errors = [];
  await context.exposeBinding('__cookieWrite', (_source, line) => ledger.record(parseWrite(line, 'script')));
  // What a visitor's Chrome says (vanilla-cookieconsent hides from navigator.webdriver), or
  // what an automated one says, for the hides-from-bots check.
  await context.addInitScript(`Object.defineProperty(Navigator.prototype, 'webdriver', { get: () => ${automation} })`);
  await context.addInitScript(HOOK);
  context.on('response', async (response) => {
    try {
      for (const h of await response.headersArray()) {
        if (h.name.toLowerCase() === 'set-cookie') {
          for (const line of h.value.split('\n')) ledger.record(parseWrite(line, 'response'));
        }
      }
    } catch (e) { /* response gone */ }
  });
  const page = context.pages()[0] || (await context.newPage());
  page.on('pageerror', (e) => errors.push(String(e.message || e)));
  return { context, page, ledger, errors, close };
}

async function visit(page, url, { early = false } = {}) {
  try {
    await page.goto(url, { waitUntil: early ? 'domcontentloaded' : 'load', timeout: NAV_TIMEOUT_MS });
  } catch (e) {
    return `visit ${url}: ${e.message.split('\n')[0]}`;
  }
  if (!early) await page.waitForTimeout(SETTLE_MS);
  return null;
}

// The locator scope of the banner: the page, or the iframe the case names.
function scope(page, place) {
  return place.kind === 'same_origin_iframe' ? page.frameLocator(place.frame) : page;
}

const norm = (s) => (s || '').replace(/\s+/g, ' ').trim();

async function label(root, selector) {
  const el = root.locator(selector).first();
  await el.waitFor({ state: 'visible', timeout: 6000 });
  return norm(await el.innerText());
}

async function bannerVisible(page, banner) {
  return scope(page, banner.place).locator(banner.root).first().isVisible().catch(() => false);
}

async function click(page, banner, button, problems, lateMs) {
  const root = scope(page, banner.place);
  const seen = await label(root, button.selector).catch((e) => `(not found: ${e.message.split('\n')[0]})`);
  if (seen !== button.label) problems.push(`label of ${button.selector}: saw "${seen}", case says "${button.label}"`);
  if (lateMs) {
    // Clicked at once the click must do nothing; the case says handlers come later.
    await root.locator(button.selector).first().click({ timeout: 3000 }).catch(() => {});
    await page.waitForTimeout(200);
    if (!(await bannerVisible(page, banner))) problems.push('an immediate click closed a banner with late handlers');
    await page.waitForTimeout(lateMs + 200);
  }
  await root.locator(button.selector).first().click({ timeout: 5000 }).catch((e) => problems.push(`click ${button.selector}: ${e.message.split('\n')[0]}`));
}

function has(c, kind) { return c.behaviours.some((b) => b.kind === kind); }
function behaviour(c, kind) { return c.behaviours.find((b) => b.kind === kind); }

async function choose(page, c, state, problems) {
  const banner = c.banner;
  if (state === 'none' || banner.kind !== 'shown') return;
  const late = behaviour(c, 'late_handlers')?.ms;
  if (state === 'accept') {
    await click(page, banner, banner.accept, problems, late);
  } else if (banner.reject.kind === 'first_layer') {
    const { label: l, selector } = banner.reject;
    await click(page, banner, { label: l, selector }, problems, late);
  } else if (banner.reject.kind === 'settings_layer') {
    await click(page, banner, banner.reject.open, problems, late);
    await page.waitForTimeout(400);
    await click(page, banner, banner.reject.reject, problems, 0);
  } else {
    return; // no way to refuse: the reject visitor makes no click
  }
  await page.waitForLoadState('load').catch(() => {});
  await page.waitForTimeout(SETTLE_MS);
  const stays = has(c, 'banner_never_closes') || has(c, 'click_throws');
  // Banners fade out (cookieconsent: a 1 s opacity transition): give them time to go.
  let visible = await bannerVisible(page, banner);
  for (let waited = 0; visible && !stays && waited < 3000; waited += 250) {
    await page.waitForTimeout(250);
    visible = await bannerVisible(page, banner);
  }
  if (stays && !visible) problems.push('the banner closed although the case says it stays');
  if (!stays && visible) problems.push('the banner is still visible after the click');
  if (has(c, 'click_navigates') && !page.url().includes('?cookies=')) problems.push(`the click did not navigate (at ${page.url()})`);
  if (has(c, 'reload_loop_after_accept') && state === 'accept') {
    let loads = 0;
    const count = () => { loads += 1; };
    page.on('load', count);
    await page.waitForTimeout(2000);
    page.off('load', count);
    if (loads < 3) problems.push(`only ${loads} reloads in 2 s after accepting`);
    else console.log(`       (${loads} reloads in 2 s after accepting)`);
  }
}

function compare(c, state, ledger, jar, problems) {
  const expectedSet = c.cookies.filter((k) => k.set_in.includes(state)).map((k) => k.name).sort();
  const expectedDeleted = c.cookies.filter((k) => k.deleted_in.includes(state)).map((k) => k.name).sort();
  const seenSet = [...new Set([...ledger.set, ...jar.map((k) => k.name)])].sort();
  const seenDeleted = [...ledger.deleted].sort();
  if (JSON.stringify(expectedSet) !== JSON.stringify(seenSet)) problems.push(`set: case ${JSON.stringify(expectedSet)}, Chromium ${JSON.stringify(seenSet)}`);
  if (JSON.stringify(expectedDeleted) !== JSON.stringify(seenDeleted)) problems.push(`set then deleted: case ${JSON.stringify(expectedDeleted)}, Chromium ${JSON.stringify(seenDeleted)}`);
  const kept = c.cookies.filter((k) => k.set_in.includes(state) && !k.deleted_in.includes(state));
  for (const k of kept) if (!jar.some((j) => j.name === k.name)) problems.push(`${k.name} was written but Chromium did not keep it`);
  for (const k of jar) {
    const want = c.cookies.find((e) => e.name === k.name);
    if (!want) continue;
    const hostOnly = !k.domain.startsWith('.');
    const domain = k.domain.replace(/^\./, '');
    if (want.domain !== domain || want.host_only !== hostOnly) problems.push(`${k.name}: Chromium has ${domain} host_only=${hostOnly}, case says ${want.domain} host_only=${want.host_only}`);
  }
  const consent = c.consent_cookie;
  // A click that did nothing records no choice to compare.
  if (consent && state !== 'none' && !has(c, 'banner_never_closes')) {
    const stored = jar.find((k) => k.name === consent.name);
    const needle = state === 'accept' ? consent.accepted : consent.rejected;
    const oversized = has(c, 'oversized_consent_cookie');
    if (oversized) {
      const big = ledger.writes.find((w) => w.name === consent.name && w.bytes > 4096);
      if (!big) problems.push(`no write of ${consent.name} over 4096 bytes`);
      if (stored) problems.push(`${consent.name} was stored although over 4096 bytes`);
    } else if (needle && !stored && c.cookies.some((k) => k.name === consent.name && k.set_in.includes(state))) {
      problems.push(`${consent.name} missing after ${state}`);
    } else if (needle && stored && !decodeURIComponent(stored.value).includes(needle)) {
      problems.push(`${consent.name}=${decodeURIComponent(stored.value).slice(0, 160)} lacks ${needle}`);
    }
  }
}

async function runState(launch, info, c, state) {
  const problems = [];
  const { context, page, ledger, errors, close } = await newRun(launch);
  const base = `http://${c.host}:${info.http}`;
  // With late handlers the first click must come as soon as the banner shows.
  const early = has(c, 'late_handlers') && state !== 'none';
  const first = await visit(page, base + c.start_path, { early });
  if (first) problems.push(first);
  if (c.banner.kind === 'shown' && !early && !(await bannerVisible(page, c.banner))) {
    await page.waitForTimeout(2000);
    if (!(await bannerVisible(page, c.banner))) problems.push(`banner ${c.banner.root} not visible on ${c.start_path}`);
  }
  if (c.banner.kind === 'never_shown' || c.banner.kind === 'absent') {
    await page.waitForTimeout(1500);
    const buttons = await page.locator('button:visible, a[role=button]:visible').allInnerTexts();
    if (buttons.some((t) => /accept|allow|agree|got it/i.test(t))) problems.push(`a consent button is visible: ${buttons}`);
  }
  const errorsBefore = errors.length;
  await choose(page, c, state, problems);
  if (has(c, 'click_throws') && state === 'accept' && errors.length === errorsBefore) problems.push('the click threw nothing');
  for (const path of c.pages) {
    const err = await visit(page, base + path);
    if (err && !has(c, 'reload_loop_after_accept')) problems.push(err);
  }
  const jar = await context.cookies();
  compare(c, state, ledger, jar, problems);
  await close();
  return { problems, jar: jar.map((k) => `${k.name}@${k.domain}`).sort(), errors };
}

// vanilla-cookieconsent's default: no banner for navigator.webdriver or a bot user agent.
async function checkHidesFromBots(launch, info, c) {
  const problems = [];
  for (const run of [{ automation: true }, { ua: 'Mozilla/5.0 (compatible; cookie-audit-bot/1.0)' }]) {
    const { page, close } = await newRun(launch, run);
    await visit(page, `http://${c.host}:${info.http}${c.start_path}`);
    if (await bannerVisible(page, c.banner)) problems.push(`banner visible to ${JSON.stringify(run)}`);
    await close();
  }
  return problems;
}

async function main() {
  const only = process.argv.slice(2);
  const { child, info } = await startServer();
  process.on('exit', () => child.kill());
  const rules = info.hosts.map((h) => `MAP ${h} 127.0.0.1`).concat('MAP * ~NOTFOUND').join(', ');
  const launch = {
    executablePath: CHROME,
    headless: true,
    args: [`--host-resolver-rules=${rules}`, '--ignore-certificate-errors', '--disable-blink-features=AutomationControlled'],
  };
  let failures = 0;
  try {
    for (const c of info.cases) {
      if (only.length && !only.includes(c.id)) continue;
      for (const state of ['none', 'accept', 'reject']) {
        const started = Date.now();
        const { problems, jar, errors } = await runState(launch, info, c, state);
        const secs = ((Date.now() - started) / 1000).toFixed(1);
        console.log(`${problems.length ? 'FAIL' : 'ok  '} ${c.id} ${state} (${secs}s) jar: ${jar.join(' ')}`);
        for (const p of problems) console.log(`       ${p}`);
        if (process.env.VERBOSE && errors.length) console.log(`       page errors: ${errors.slice(0, 3).join(' | ')}`);
        failures += problems.length ? 1 : 0;
      }
      if (has(c, 'hides_from_bots')) {
        const problems = await checkHidesFromBots(launch, info, c);
        console.log(`${problems.length ? 'FAIL' : 'ok  '} ${c.id} hides from bots`);
        for (const p of problems) console.log(`       ${p}`);
        failures += problems.length ? 1 : 0;
      }
    }
  } finally {
    child.kill();
  }
  console.log(failures ? `${failures} failed` : 'all cases agree with Chromium');
  process.exit(failures ? 1 : 0);
}

main().catch((e) => { console.error(e); process.exit(2); });
