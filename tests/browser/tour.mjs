// A tour of every page over the demo community (`commons seed-demo`), as
// each kind of member: every page loads with a heading, shows no error state,
// logs no error, and survives a reload. One screenshot per page.

import { check, scenario, signIn } from './lib.mjs';

const DEMO_PASSWORD = 'commons-demo-password';

// Pages by account; `follow` clicks the first link matching the selector to
// reach detail pages whose ids the tour cannot know in advance.
const TOUR = [
  {
    who: 'priya.raman@researchallofus.org',
    pages: [
      { path: '/', name: 'home' },
      { path: '/notifications', name: 'notifications' },
      { path: '/profile', name: 'profile' },
      { path: '/exemptions', name: 'my-exemptions' },
      { path: '/exemptions', name: 'exemption-detail', follow: '.request-item a.list-title' },
      { path: '/exemptions/new', name: 'exemption-new' },
      { path: '/reports', name: 'my-reports' },
      { path: '/reports', name: 'report-detail', follow: '.list a.list-title', optional: true },
      { path: '/reports/new', name: 'report-new' },
      { path: '/publications', name: 'community-publications' },
      { path: '/workspaces', name: 'workspaces' },
      { path: '/workspaces', name: 'workspace-detail', follow: '.workspace-item a.list-title' },
      { path: '/workspaces/mine', name: 'my-workspaces' },
      { path: '/workspaces/mine', name: 'my-workspace-detail', follow: '.workspace-item a.list-title' },
      { path: '/workspaces/new', name: 'workspace-new' },
      { path: '/collaborators', name: 'suggested-collaborators' },
      { path: '/collaborations', name: 'collaboration-requests' },
      { path: '/collaborations?direction=OUTGOING', name: 'collaboration-detail', follow: '.list a.list-title', optional: true },
      { path: '/collaborations', name: 'collaboration-received', follow: '.list a.list-title', optional: true },
      { path: '/profile/research', name: 'research-profile' },
      { path: '/u/lucia', name: 'public-profile' },
      { path: '/search?q=hypertension', name: 'search' },
      { path: '/bookmarks', name: 'bookmarks' },
      { path: '/new-thread', name: 'new-thread' },
    ],
  },
  {
    who: 'admin@researchallofus.org',
    pages: [
      {
        path: '/forum/manage',
        name: 'forum-setup',
        // Admins add a category through the form, and it is listed.
        act: async (page) => {
          const add = page.locator('section', { has: page.getByRole('heading', { name: 'Add a category' }) });
          await add.getByRole('textbox', { name: 'Name', exact: true }).last().fill('Office hours');
          await add.getByRole('textbox', { name: 'Description' }).last().fill('Questions for the weekly drop-in office hours.');
          await add.getByRole('button', { name: 'Add category' }).click();
          await page.getByRole('link', { name: 'Office hours' }).waitFor();
        },
      },
    ],
  },
  {
    who: 'rev.chen@researchallofus.org',
    pages: [
      { path: '/review/exemptions', name: 'review-queue' },
      { path: '/review/exemptions', name: 'review-detail', follow: '.request-item a.list-title' },
      { path: '/staff/reports', name: 'staff-reports' },
    ],
  },
];

await scenario('tour', async ({ newPage, shot }) => {
  for (const { who, pages } of TOUR) {
    const page = await newPage();
    await signIn(page, who, DEMO_PASSWORD);
    for (const step of pages) {
      await page.goto(step.path);
      await page.locator('main h1').first().waitFor();
      await page.waitForLoadState('networkidle');
      if (step.follow) {
        const link = page.locator(step.follow).first();
        if (!(await link.count())) {
          check(step.optional, `${step.path}: nothing to open for ${step.name}`);
          continue;
        }
        await link.click();
        await page.waitForLoadState('networkidle');
        await page.locator('main h1').first().waitFor();
        // A deep link survives a reload.
        const url = page.url();
        await page.reload();
        await page.locator('main h1').first().waitFor();
        await page.waitForLoadState('networkidle');
        check(page.url() === url, `${step.name}: the reload keeps the address`);
      }
      if (step.act) await step.act(page);
      const errors = await page.locator('main .state-error').allInnerTexts();
      check(errors.length === 0, `${step.name} (${page.url()}) shows an error: ${errors.join(' | ')}`);
      check((await page.locator('main [aria-busy="true"]').count()) === 0, `${step.name}: still loading`);
      await shot(page, step.name);
    }
    await page.context().close();
  }
});
