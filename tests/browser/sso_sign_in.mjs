// A researcher signs in through the program's identity provider: from the
// sign-in page (password sign-in is off, so only the provider's button is
// there) through the provider's own login and consent pages, back to the
// page they came from, signed in; they post a thread, then sign out, which
// ends the provider's session too.
//
// Set up by tests/browser.rs: PROVIDER_LOGIN is an account at the provider
// (tests/oidc/provider.mjs) with a verified program email; PROVIDER_ISSUER is
// the provider; CATEGORY_NAME is a forum category.

import { BASE_URL, check, openNewThread, scenario, unique } from './lib.mjs';

const login = process.env.PROVIDER_LOGIN;
const issuer = process.env.PROVIDER_ISSUER;
const categoryName = process.env.CATEGORY_NAME;
check(login && issuer && categoryName, 'PROVIDER_LOGIN, PROVIDER_ISSUER and CATEGORY_NAME must be set');
const providerOrigin = new URL(issuer).origin;

await scenario('sso-sign-in', async ({ newPage, shot }) => {
  const page = await newPage();
  await page.goto('/sign-in?next=%2Fbookmarks');
  const button = page.getByRole('link', { name: 'Sign in with All of Us' });
  await button.waitFor();
  check((await page.getByLabel('Password').count()) === 0, 'no password form when password sign-in is off');
  await shot(page, 'sign-in-page');
  await button.click();

  // The provider's own pages.
  await page.waitForURL((url) => url.origin === providerOrigin);
  await page.locator('input[name=login]').fill(login);
  await page.locator('input[name=password]').fill('any password');
  await shot(page, 'provider-login');
  await page.getByRole('button', { name: 'Sign-in' }).click();
  await page.getByRole('button', { name: 'Continue' }).click();

  // Back where the person started, signed in.
  await page.waitForURL(`${BASE_URL}/bookmarks`);
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
  await shot(page, 'signed-in');

  const title = `Which concept set for ${unique('sso')} visits?`;
  await openNewThread(page, categoryName);
  await page.getByLabel('Title').fill(title);
  await page.getByLabel('Body').fill('Signed in with my program account: where do I start in the Dataset Builder?');
  await page.getByRole('button', { name: 'Post thread' }).click();
  await page.getByRole('heading', { name: title }).waitFor();
  await shot(page, 'posted');

  // Signing out ends the provider's session too, then comes home.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL((url) => url.origin === providerOrigin);
  await page.getByRole('button', { name: 'Yes, sign me out' }).click();
  await page.waitForURL(`${BASE_URL}/`);
  await page.getByRole('link', { name: 'Sign in' }).first().waitFor();
  await shot(page, 'signed-out');
});
