// A researcher reports an upcoming paper: the form points at what is missing,
// filing says whether the notice was long enough, the report moves along its
// lifecycle, and program staff find it in their view.
//
// Set up by tests/browser.rs: AUTHOR_EMAIL is a researcher, STAFF_EMAIL a reviewer.

import { check, scenario, signIn, unique } from './lib.mjs';

const authorEmail = process.env.AUTHOR_EMAIL;
const staffEmail = process.env.STAFF_EMAIL;
check(authorEmail && staffEmail, 'AUTHOR_EMAIL and STAFF_EMAIL must be set');

function inDays(n) {
  return new Date(Date.now() + n * 86400_000).toISOString().slice(0, 10);
}

await scenario('publication-report', async ({ newPage, shot }) => {
  const title = unique('Sleep duration and incident hypertension ');
  const author = await newPage();
  await signIn(author, authorEmail);
  await author.getByRole('link', { name: 'Reports' }).click();
  await author.getByRole('heading', { name: 'Your publication reports' }).waitFor();
  await author.getByText('You have not reported any publications yet.').waitFor();
  await author.getByRole('link', { name: 'Report a publication' }).first().click();

  await author.getByLabel('Type of output').selectOption('JOURNAL_ARTICLE');
  await author.getByLabel('Title').fill(title);
  await author.getByLabel('Summary or abstract').fill('Wearable-derived sleep duration and incident hypertension in a diverse cohort.');
  await author.getByLabel('Venue').fill('Hypertension');
  await author.getByLabel('Submission date').fill(inDays(10));
  await author.getByLabel('Publication date').fill(inDays(5));
  await author.getByRole('button', { name: 'Save and file the report' }).click();
  // Published before it was submitted: caught in the browser, beside the field.
  await author.locator('[data-field="publicationDate"] .field-error').getByText('Must not be before the submission date').waitFor();
  await author.getByLabel('Publication date').fill(inDays(60));

  // Filing without the checklist: the server names the missing piece.
  await author.getByRole('button', { name: 'Save and file the report' }).click();
  await author.getByRole('heading', { name: `Edit report: ${title}` }).waitFor();
  await author.locator('[aria-invalid="true"]').first().waitFor();
  await shot(author, 'missing-field');

  await author.getByLabel('Workbench namespaces the work used').fill('aou-rw-sleep-bp');
  await author.getByLabel('Data access tier').selectOption('REGISTERED');
  await author.getByLabel('CDR version', { exact: true }).fill('v7');
  await author.getByLabel('The program’s acknowledgement statement is included').check();
  await author.getByLabel('A data-availability statement names the tier and CDR version').check();
  await author.getByLabel(/complies with the Data and Statistics Dissemination Policy/).check();
  await author.getByRole('button', { name: 'Save and file the report' }).click();
  await author.getByRole('heading', { name: title }).waitFor();
  await author.locator('.state-success', { hasText: "days' notice" }).waitFor();
  const reportPath = new URL(author.url()).pathname;
  check(/^\/reports\/\d+$/.test(reportPath), `the report has its own address (${reportPath})`);

  // The lifecycle moves on and is recorded.
  await author.getByLabel('Move to').selectOption('ACCEPTED');
  await author.getByRole('button', { name: 'Update status' }).click();
  await author.locator('.timeline').getByText('Accepted').waitFor();
  await shot(author, 'filed');

  // Staff see it among filed reports, and open it from there.
  const staff = await newPage();
  await signIn(staff, staffEmail);
  await staff.goto('/staff/reports');
  await staff.getByRole('heading', { name: 'Filed publication reports' }).waitFor();
  await staff.getByRole('link', { name: title }).click();
  await staff.getByRole('heading', { name: title }).waitFor();
  check(new URL(staff.url()).pathname === reportPath, 'staff open the same report');
  await shot(staff, 'staff-view');
});
