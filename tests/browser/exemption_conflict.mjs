// A reviewer who collaborated on a request's workspace, and has left it,
// opens the review queue: the request is marked with the reason they may
// not review it, and its page says why instead of offering to claim it.
//
// Set up by tests/browser.rs: REVIEWER_EMAIL collaborated on the workspace of
// the submitted request REQUEST_TITLE and has left it.

import { check, scenario, signIn } from './lib.mjs';

const reviewerEmail = process.env.REVIEWER_EMAIL;
const title = process.env.REQUEST_TITLE;
check(reviewerEmail && title, 'REVIEWER_EMAIL and REQUEST_TITLE must be set');

await scenario('exemption-conflict', async ({ newPage, shot }) => {
  const reviewer = await newPage();
  await signIn(reviewer, reviewerEmail);
  await reviewer.goto('/review/exemptions');
  await reviewer.getByRole('heading', { name: 'Exemption review queue' }).waitFor();
  const item = reviewer.locator('.request-item', { hasText: title });
  await item.waitFor();
  await item.getByText('Conflict: you collaborated').waitFor();
  const reason = await item.locator('.conflict-reason').innerText();
  check(/leaving does not end the conflict/.test(reason), `the queue gives the reason (${reason})`);
  await shot(reviewer, 'queue');

  await item.getByRole('link', { name: title }).click();
  await reviewer.getByRole('heading', { name: title }).waitFor();
  await reviewer.locator('.actions-card .conflict-reason').waitFor();
  check(
    (await reviewer.getByRole('button', { name: /Claim/ }).count()) === 0,
    'a conflicted reviewer is not offered the claim',
  );
  check(
    (await reviewer.getByRole('button', { name: 'Add comment' }).count()) === 0,
    'a conflicted reviewer is not offered the comment box',
  );
  await shot(reviewer, 'request');
});
