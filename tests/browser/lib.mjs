// Shared helpers for the browser scenarios: launch Debian's Chromium through
// playwright-core, collect page errors, take screenshots, read mailed links.

import { chromium } from 'playwright-core';
import { mkdirSync, readdirSync, readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';

export const BASE_URL = (process.env.BASE_URL || 'http://127.0.0.1:8080').replace(/\/$/, '');
export const MAIL_DIR = process.env.MAIL_DIR || '';
export const ARTIFACTS_DIR = process.env.ARTIFACTS_DIR || 'tests/artifacts';
export const PASSWORD = process.env.PASSWORD || 'correct horse battery staple';
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

/**
 * Runs `body({ browser, newPage, shot })` in a fresh headless Chromium, then
 * fails the scenario if any page logged an error or threw.
 */
export async function scenario(name, body) {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  // Screenshots of an earlier run of this scenario would mislead.
  for (const old of readdirSync(ARTIFACTS_DIR).filter((f) => f.startsWith(`${name}-`) && f.endsWith('.png'))) {
    unlinkSync(join(ARTIFACTS_DIR, old));
  }
  // playwright-core gives each launch a fresh temporary --user-data-dir and
  // removes it on close; every user in a scenario gets its own context.
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
      '--no-first-run',
    ],
  });
  const problems = [];
  let shots = 0;
  let lastPage = null;
  const newPage = async () => {
    const context = await browser.newContext({ baseURL: BASE_URL, viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`);
    });
    lastPage = page;
    return page;
  };
  const shot = async (page, label) => {
    // Rendering slips ("null", "undefined", "[object Object]") never reach the page.
    const text = await page.locator('body').innerText();
    const slip = /(^|\s)(null|undefined|NaN)(\s|$)|\[object Object\]/m.exec(text);
    if (slip) problems.push(`${label}: the page shows "${slip[0].trim()}" at ${page.url()}`);
    shots += 1;
    const file = join(ARTIFACTS_DIR, `${name}-${String(shots).padStart(2, '0')}-${label}.png`);
    await page.screenshot({ path: file, fullPage: true });
    console.log(`screenshot: ${file}`);
  };
  let failed = null;
  try {
    await body({ browser, newPage, shot });
  } catch (err) {
    failed = err;
    if (lastPage) {
      try {
        await shot(lastPage, 'failure');
        console.log(`failed at ${lastPage.url()}`);
        console.log((await lastPage.locator('main').innerText()).slice(0, 2000));
      } catch {
        // The page may be gone; the error below says what happened.
      }
    }
  } finally {
    await browser.close();
  }
  if (!failed && problems.length) failed = new Error(`the page reported errors:\n${problems.join('\n')}`);
  if (failed) {
    console.error(`${name}: FAILED\n${failed.stack || failed}`);
    process.exit(1);
  }
  console.log(`${name}: passed`);
}

export function check(condition, message) {
  if (!condition) throw new Error(message);
}

/** Unique enough for names and emails within one run. */
export function unique(prefix) {
  return `${prefix}${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;
}

// ---- mail ------------------------------------------------------------------------------

function decodeQuotedPrintable(text) {
  const bytes = [];
  const joined = text.replace(/=\r?\n/g, '');
  for (let i = 0; i < joined.length; i += 1) {
    const c = joined[i];
    if (c === '=' && /^[0-9A-F]{2}$/i.test(joined.slice(i + 1, i + 3))) {
      bytes.push(parseInt(joined.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(c, 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** The decoded text of every MIME part of a raw message, joined. */
export function decodeMail(raw) {
  const out = [];
  const parts = raw.split(/\r?\n--[^\r\n]+\r?\n/);
  for (const part of parts) {
    const split = part.search(/\r?\n\r?\n/);
    if (split < 0) continue;
    const headers = part.slice(0, split);
    const body = part.slice(split).trim();
    const encoding = /content-transfer-encoding:\s*([\w-]+)/i.exec(headers)?.[1]?.toLowerCase();
    if (encoding === 'base64') out.push(Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8'));
    else if (encoding === 'quoted-printable') out.push(decodeQuotedPrintable(body));
    else out.push(body);
  }
  return out.join('\n');
}

function mailsTo(address) {
  if (!MAIL_DIR) throw new Error('MAIL_DIR is not set');
  let names = [];
  try {
    names = readdirSync(MAIL_DIR).filter((n) => n.endsWith('.eml')).sort();
  } catch {
    return [];
  }
  return names
    .map((n) => readFileSync(join(MAIL_DIR, n), 'utf8'))
    .filter((raw) => raw.toLowerCase().includes(address.toLowerCase()))
    .map(decodeMail);
}

/**
 * Waits for a mail to `address` holding a link to `path` (e.g. "/verify")
 * and returns that link's path and query, to open against BASE_URL.
 */
export async function linkFromMail(address, path, { timeoutMs = 20_000 } = {}) {
  const pattern = new RegExp(`https?://[^\\s"'<>]+(${path.replace(/[/]/g, '\\/')}\\?token=[A-Za-z0-9_-]+)`);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const found = mailsTo(address)
      .reverse()
      .map((text) => pattern.exec(text))
      .find(Boolean);
    if (found) return found[1];
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`no mail to ${address} with a ${path} link arrived in ${MAIL_DIR}`);
}

// ---- common flows ------------------------------------------------------------------------

/** Signs in through the form and waits for the account menu. */
export async function signIn(page, email, password = PASSWORD) {
  await page.goto('/sign-in');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

/** Opens a category from the forum's home page. */
export async function openCategory(page, categoryName) {
  await page.goto('/');
  await page.getByRole('link', { name: categoryName }).first().click();
  await page.getByRole('heading', { name: categoryName }).waitFor();
}

/** Opens the new-thread form of a category. */
export async function openNewThread(page, categoryName) {
  await openCategory(page, categoryName);
  await page.getByRole('link', { name: 'New thread' }).click();
}
