// A researcher starts a thread, another replies with a quote, the author
// accepts the answer, and the thread is found again through search with the
// hit highlighted.
//
// Set up by tests/browser.rs: AUTHOR_EMAIL and REPLIER_EMAIL are verified
// researchers; CATEGORY_NAME is a forum category.

import { check, openNewThread, scenario, signIn, unique } from './lib.mjs';

const authorEmail = process.env.AUTHOR_EMAIL;
const replierEmail = process.env.REPLIER_EMAIL;
const categoryName = process.env.CATEGORY_NAME;
check(authorEmail && replierEmail && categoryName, 'AUTHOR_EMAIL, REPLIER_EMAIL and CATEGORY_NAME must be set');

await scenario('forum-search', async ({ newPage, shot }) => {
  const word = unique('zephyrine');
  const title = `How do I join the OMOP condition table with ${word} visits?`;

  // The author posts a thread from the category page.
  const author = await newPage();
  await signIn(author, authorEmail);
  await openNewThread(author, categoryName);
  await author.getByLabel('Title').fill(title);
  await author.getByLabel('Body').fill(`I need **condition_occurrence** rows for ${word} visits in the Dataset Builder. Which concept set should I start from?`);
  await author.getByRole('tab', { name: 'Preview' }).click();
  await author.locator('.md-preview strong', { hasText: 'condition_occurrence' }).waitFor();
  await author.getByRole('tab', { name: 'Write' }).click();
  await author.getByRole('button', { name: 'Post thread' }).click();
  await author.getByRole('heading', { name: title }).waitFor();
  const threadPath = new URL(author.url()).pathname;
  check(/^\/t\/\d+/.test(threadPath), `the thread has its own address (${threadPath})`);
  await shot(author, 'thread-posted');

  // Another researcher quotes it and replies.
  const replier = await newPage();
  await signIn(replier, replierEmail);
  await replier.goto(threadPath);
  await replier.getByRole('heading', { name: title }).waitFor();
  await replier.getByRole('button', { name: 'Quote' }).first().click();
  // Quoting shows what is quoted above the composer and focuses it.
  await replier.locator('.reply-target blockquote', { hasText: 'condition_occurrence' }).waitFor();
  const composer = replier.getByRole('textbox', { name: 'Your reply' });
  check(await composer.evaluate((el) => el === document.activeElement), 'quoting focuses the composer');
  await composer.fill('Start from the standard concept set for visits, then join on visit_occurrence_id.');
  await replier.getByRole('button', { name: 'Post reply' }).click();
  const reply = replier.locator('article.post', { hasText: 'join on visit_occurrence_id' });
  await reply.waitFor();
  await reply.locator('blockquote').waitFor();
  await reply.getByRole('button', { name: /Like/ }).waitFor();
  await shot(replier, 'reply-posted');

  // The author likes and accepts the reply; a reload keeps the page.
  await author.reload();
  const answer = author.locator('article.post', { hasText: 'join on visit_occurrence_id' });
  await answer.getByRole('button', { name: /Like/ }).click();
  await answer.getByRole('button', { name: /Liked/ }).waitFor();
  await answer.getByRole('button', { name: 'Accept answer' }).click();
  await answer.getByText('Accepted answer').waitFor();
  await shot(author, 'answer-accepted');

  // Search finds the thread, with the term highlighted.
  await author.getByRole('link', { name: 'Search', exact: true }).click();
  await author.getByRole('searchbox', { name: 'Search' }).fill(word);
  await author.getByRole('searchbox', { name: 'Search' }).press('Enter');
  const hit = author.locator('.search-hit', { hasText: word }).first();
  // The index is updated by the worker; the search page retries politely.
  for (let attempt = 0; attempt < 20 && !(await hit.isVisible()); attempt += 1) {
    await author.waitForTimeout(500);
    await author.reload();
  }
  await hit.waitFor();
  check((await hit.locator('mark').count()) > 0, 'the search hit highlights the term');
  await shot(author, 'search-hit');
  await hit.getByRole('link').first().click();
  await author.getByRole('heading', { name: title }).waitFor();
});
