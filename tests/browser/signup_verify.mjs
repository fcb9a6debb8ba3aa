// A researcher signs up, is told what went wrong with a bad address, confirms
// the email from the mailed link, signs in, and sees their profile.

import { PASSWORD, check, linkFromMail, scenario, unique } from './lib.mjs';

await scenario('signup-verify', async ({ newPage, shot }) => {
  const page = await newPage();
  const handle = unique('ada');
  const email = `${handle}@researchallofus.org`;

  await page.goto('/');
  await page.getByRole('link', { name: 'Sign up' }).click();
  await page.getByRole('heading', { name: 'Create your Research Commons account' }).waitFor();

  // An address outside the program is refused next to the email field.
  await page.getByLabel('Program email').fill('ada@example.com');
  await page.getByLabel('Display name').fill('Ada Lovelace');
  await page.getByLabel('Handle').fill(handle);
  await page.getByLabel('Institution').fill('Analytical Engine Institute');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  const emailError = page.locator('[data-field="email"] .field-error');
  await emailError.waitFor();
  check(/program accounts only/i.test(await emailError.innerText()), 'the email error names the rule');
  check((await page.getByLabel('Program email').getAttribute('aria-invalid')) === 'true', 'the email field is marked invalid');
  await shot(page, 'signup-refused');

  await page.getByLabel('Program email').fill(email);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('heading', { name: 'Check your email' }).waitFor();
  await shot(page, 'check-email');

  // Signed in before confirming: told to confirm first, and offered nothing to read.
  await page.getByRole('link', { name: 'Go to sign in' }).click();
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Check your email' }).waitFor();
  await page.goto('/search');
  await page.getByRole('heading', { name: 'Confirm your email first' }).waitFor();
  check((await page.getByRole('link', { name: 'Search', exact: true }).count()) === 0, 'no reading pages in the navigation');
  await shot(page, 'confirm-first');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('link', { name: 'Sign up' }).waitFor();

  // The confirmation link comes from the mail folder, as a reader would click it.
  const link = await linkFromMail(email, '/verify');
  await page.goto(link);
  await page.getByText('Your email address is confirmed').waitFor();
  check(!page.url().includes('token='), 'the used token leaves the address bar');
  await shot(page, 'verified');

  // The link works once.
  await page.goto(link);
  await page.getByText('This link has already been used').waitFor();

  await page.getByRole('link', { name: 'Sign in', exact: true }).first().click();
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText('That email and password do not match an account').waitFor();
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();

  await page.getByRole('link', { name: 'Ada Lovelace' }).click();
  await page.getByRole('heading', { name: 'Your profile and preferences' }).waitFor();
  await page.getByText(email).waitFor();
  check((await page.locator('.facts dd').nth(1).innerText()).startsWith('Yes'), 'the profile shows a confirmed email');
  // Digest preferences are saved and kept.
  await page.getByLabel('Digest email').selectOption('WEEKLY');
  await page.getByLabel('Day of the weekly digest').selectOption({ label: 'Friday' });
  await page.getByLabel('Time zone').fill('Mars/Olympus_Mons');
  await page.getByRole('button', { name: 'Save preferences' }).click();
  await page.locator('[data-field="timeZone"] .field-error').getByText('not a known IANA time zone').waitFor();
  await page.getByLabel('Time zone').fill('America/Chicago');
  await page.getByRole('button', { name: 'Save preferences' }).click();
  await page.getByText('Your email preferences are saved.').waitFor();
  await shot(page, 'profile');

  // A reload keeps the session (the cookie) and the page (the URL).
  await page.reload();
  await page.getByRole('heading', { name: 'Your profile and preferences' }).waitFor();
  check((await page.getByLabel('Digest email').inputValue()) === 'WEEKLY', 'the digest setting is kept');
  check((await page.getByLabel('Day of the weekly digest').inputValue()) === '4', 'the weekday is kept');
});
