// After signing in, `/sign-in?next=` is followed only to a path on this
// site: a member sent a link that smuggles another origin into `next` ends
// up on the home page, signed in, and never leaves.
//
// Set up by tests/browser.rs: MEMBER_EMAIL is a researcher.

import { BASE_URL, PASSWORD, check, scenario } from './lib.mjs';

const email = process.env.MEMBER_EMAIL;
check(email, 'MEMBER_EMAIL must be set');
const origin = new URL(BASE_URL).origin;

// `next` → where the member must land.
const CASES = [
  ['/\\evil.example/x', '/'],
  ['/\\/evil.example/x', '/'],
  ['//evil.example/x', '/'],
  ['/\t/evil.example/x', '/'],
  ['https://evil.example/x', '/'],
  ['javascript:alert(1)', '/'],
  ['/bookmarks?from=mail', '/bookmarks?from=mail'],
];

await scenario('sign-in-next', async ({ newPage }) => {
  for (const [next, expected] of CASES) {
    const page = await newPage();
    const left = [];
    page.on('request', (req) => {
      if (new URL(req.url()).origin !== origin) left.push(req.url());
    });
    await page.goto(`/sign-in?next=${encodeURIComponent(next)}`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    await page.waitForLoadState('networkidle');
    const landed = new URL(page.url());
    check(landed.origin === origin, `next=${JSON.stringify(next)} left the site for ${page.url()}`);
    check(landed.pathname + landed.search === expected, `next=${JSON.stringify(next)} landed on ${landed.pathname}${landed.search}, expected ${expected}`);
    check(left.length === 0, `next=${JSON.stringify(next)} requested ${left.join(', ')}`);
    await page.context().close();
  }
});
