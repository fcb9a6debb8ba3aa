// A new member's first thread reports a participant count of 7: the
// screening holds it, its author sees why, other members do not see it. A
// moderator finds it in the queue with the finding, claims it and rejects it
// with a reason, which the author then reads on the thread.
//
// Set up by tests/browser.rs with the shipped moderation rules: AUTHOR_EMAIL
// is a new researcher, READER_EMAIL another researcher, MODERATOR_EMAIL a
// moderator; CATEGORY_NAME is a forum category.

import { check, openCategory, openNewThread, scenario, signIn, unique } from './lib.mjs';

const authorEmail = process.env.AUTHOR_EMAIL;
const readerEmail = process.env.READER_EMAIL;
const moderatorEmail = process.env.MODERATOR_EMAIL;
const categoryName = process.env.CATEGORY_NAME;
check(authorEmail && readerEmail && moderatorEmail && categoryName, 'AUTHOR_EMAIL, READER_EMAIL, MODERATOR_EMAIL and CATEGORY_NAME must be set');

await scenario('moderation-queue', async ({ newPage, shot }) => {
  const title = unique('Sleep survey response rates by age band ');
  const reason = 'Counts from 1 to 20 cannot be published. Write “20 or fewer” and post again.';

  // The author posts; the screening holds the thread and says why.
  const author = await newPage();
  await signIn(author, authorEmail);
  await openNewThread(author, categoryName);
  await author.getByLabel('Title').fill(title);
  await author.getByLabel('Body').fill('Only 7 participants in the 18–24 band answered the sleep survey. Is that expected for this CDR version?');
  await author.getByRole('button', { name: 'Post thread' }).click();
  await author.getByRole('heading', { name: title }).waitFor();
  const threadPath = new URL(author.url()).pathname;
  const notice = author.locator('.moderation-notice').first();
  await notice.waitFor();
  check(/7 participants/.test(await notice.innerText()), 'the notice quotes the count it found');
  await shot(author, 'held');

  // Another member does not see it in the category.
  const reader = await newPage();
  await signIn(reader, readerEmail);
  await openCategory(reader, categoryName);
  await reader.waitForLoadState('networkidle');
  check((await reader.getByRole('link', { name: title }).count()) === 0, 'a held thread stays out of other members’ lists');

  // The moderator finds it in the queue, with the reason, and opens it.
  const moderator = await newPage();
  await signIn(moderator, moderatorEmail);
  await moderator.goto('/moderation');
  await moderator.getByRole('heading', { name: 'Moderation queue' }).waitFor();
  const row = moderator.locator('.moderation-item', { hasText: title });
  await row.waitFor();
  await row.getByText('Small participant count (1–20)').waitFor();
  await shot(moderator, 'queue');
  await row.getByRole('link', { name: title }).click();
  await moderator.getByRole('heading', { name: title }).waitFor();
  const findings = moderator.locator('section', { has: moderator.getByRole('heading', { name: 'What the screening found' }) });
  await findings.getByText('7 participants').first().waitFor();

  // Claims it, then rejects it with a reason.
  const decision = moderator.locator('[aria-labelledby="decide-h"]');
  await decision.getByRole('button', { name: 'Claim for review' }).click();
  await decision.getByRole('button', { name: 'Release' }).waitFor();
  await decision.getByRole('button', { name: 'Reject: hide' }).click();
  // Rejecting needs a reason, as the author is told: the form says so beside the field.
  await decision.locator('[data-field="reason"] .field-error').waitFor();
  await decision.getByLabel('Reason', { exact: true }).fill(reason);
  await decision.getByRole('button', { name: 'Reject: hide' }).click();
  await decision.getByText(/^Rejected by/).waitFor();
  await shot(moderator, 'rejected');

  // The author reads the moderator's reason on the thread.
  await author.goto(threadPath);
  await author.getByRole('heading', { name: title }).waitFor();
  await author.locator('.moderation-notice', { hasText: 'Write “20 or fewer”' }).waitFor();
  await shot(author, 'reason');
});
