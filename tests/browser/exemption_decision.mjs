// A researcher asks for a dissemination exemption; a reviewer claims it from
// the queue and approves it with conditions; the researcher is notified and
// reads the decision.
//
// Set up by tests/browser.rs: REQUESTER_EMAIL owns the workspace WORKSPACE_NAME;
// REVIEWER_EMAIL is a reviewer; one approval decides.

import { check, scenario, signIn, unique } from './lib.mjs';

const requesterEmail = process.env.REQUESTER_EMAIL;
const reviewerEmail = process.env.REVIEWER_EMAIL;
const workspaceName = process.env.WORKSPACE_NAME;
check(requesterEmail && reviewerEmail && workspaceName, 'REQUESTER_EMAIL, REVIEWER_EMAIL and WORKSPACE_NAME must be set');

await scenario('exemption-decision', async ({ newPage, shot }) => {
  const title = unique('Rare phenotype prevalence by ancestry ');

  // The requester fills in the form.
  const researcher = await newPage();
  await signIn(researcher, requesterEmail);
  await researcher.goto('/exemptions');
  await researcher.getByRole('heading', { name: 'Your exemption requests' }).waitFor();
  await researcher.getByText('You have no exemption requests.').waitFor();
  await researcher.getByRole('link', { name: 'New request' }).click();
  await researcher.getByRole('heading', { name: 'New exemption request' }).waitFor();

  const picker = researcher.getByRole('combobox', { name: 'Workspace', exact: true });
  const option = await picker.locator('option', { hasText: workspaceName }).getAttribute('value');
  await picker.selectOption(option);
  await researcher.getByLabel('Title').fill(title);
  await researcher.getByLabel('Intended venue').fill('American Journal of Human Genetics');
  await researcher.getByLabel('What will be disseminated').fill('A manuscript with **Table 2**: prevalence of the phenotype by genetic ancestry group.');
  // The preview is the server's rendering of the markdown.
  const dissemination = researcher.locator('[data-field="dissemination"]');
  await dissemination.getByRole('tab', { name: 'Preview' }).click();
  await dissemination.locator('.md-preview strong', { hasText: 'Table 2' }).waitFor();
  await dissemination.getByRole('tab', { name: 'Write' }).click();
  await researcher.getByLabel('What the cell or statistic shows').fill('Table 2, row: ancestry group with the fewest cases');
  await researcher.getByLabel('Smallest count').fill('8');
  await researcher.getByLabel('Largest count').fill('25');
  await researcher.getByLabel('Why suppressing, collapsing or coarsening will not do').fill('Collapsing groups hides the very difference the paper reports.');
  await researcher.getByLabel('Justification').fill('The finding matters for screening in an under-represented group; no individual is identifiable.');
  await researcher.getByRole('button', { name: 'Save and submit for review' }).click();

  // Counts above 20 need no exemption: the form says so beside the field.
  const maxError = researcher.locator('[data-field="cells[0].countMax"] .field-error');
  await maxError.waitFor();
  check(/from the smallest count to 20/.test(await maxError.innerText()), 'the count error explains the range');
  await shot(researcher, 'form-error');
  await researcher.getByLabel('Largest count').fill('12');
  await researcher.getByRole('button', { name: 'Save and submit for review' }).click();

  await researcher.getByRole('heading', { name: title }).waitFor();
  await researcher.locator('.page-header').getByText('Submitted, waiting for a reviewer').waitFor();
  const requestUrl = new URL(researcher.url()).pathname;
  check(/^\/exemptions\/\d+$/.test(requestUrl), `the request has its own address (${requestUrl})`);
  await shot(researcher, 'submitted');

  // The reviewer finds it in the queue, claims it and approves it.
  const reviewer = await newPage();
  await signIn(reviewer, reviewerEmail);
  await reviewer.getByRole('link', { name: 'Review' }).click();
  await reviewer.getByRole('heading', { name: 'Exemption review queue' }).waitFor();
  await reviewer.getByRole('link', { name: title }).click();
  await reviewer.getByRole('heading', { name: title }).waitFor();
  await reviewer.getByRole('button', { name: 'Claim and start the review' }).click();
  await reviewer.locator('.page-header').getByText('In review').waitFor();
  await reviewer.getByLabel('Conditions of approval').fill('Report the cell as "≤20" in the abstract; the exact count may appear in Table 2.');
  await shot(reviewer, 'review');
  await reviewer.getByRole('button', { name: 'Approve' }).click();
  await reviewer.getByRole('heading', { name: 'Decision: approved' }).waitFor();
  await shot(reviewer, 'approved');

  // The requester is told, and reads the decision from the notification.
  await researcher.goto('/notifications');
  const notification = researcher.locator('.notification', { hasText: title }).first();
  await notification.waitFor();
  await notification.getByRole('link').first().click();
  await researcher.getByRole('heading', { name: 'Decision: approved' }).waitFor();
  await researcher.locator('.decision-approved').getByText('Report the cell as').waitFor();
  check(new URL(researcher.url()).pathname === requestUrl, 'the notification opens the request');

  // A reload of the deep link shows the same page.
  await researcher.reload();
  await researcher.getByRole('heading', { name: 'Decision: approved' }).waitFor();
  await shot(researcher, 'decision-seen');
});
