// The shell: header navigation, the account menu, and the route table.

import { gql, onApiError } from './api.js';
import { setMarkdownPreviewer } from './components/markdown.js';
import { navigate, notFound, onNavigate, route, start, unconfirmed } from './router.js';
import { loadSession, onSessionChange, refreshUnread, session } from './session.js';
import {
  clear,
  empty,
  flash,
  h,
  pageHeader,
  put,
  replace,
} from './ui.js';
import * as auth from './pages/auth.js';
import { homePage } from './pages/home.js';
import { notificationsPage } from './pages/notifications.js';
import { preferencesSection } from './pages/preferences.js';
import { addProfileSection, addPublicProfileSection, profilePage, userPage } from './pages/profile.js';
import * as publications from './pages/publications.js';
import * as exemptions from './pages/exemptions.js';
import * as workspaces from './pages/workspaces.js';
import * as matching from './pages/matching.js';
import * as forum from './pages/forum.js';
import * as moderation from './pages/moderation.js';
import { searchPage } from './pages/search.js';
import { manageForumPage } from './pages/forum-admin.js';

// ---- navigation -------------------------------------------------------------------

/** Main navigation; `when` hides items the viewer cannot use. */
// Reading needs a confirmed address; until then only the account's own pages are open.
const signedIn = (s) => s.signedIn && s.verified;
const NAV = [
  { href: '/', label: 'Home', when: (s) => !s.signedIn || !s.verified, match: (p) => p === '/' },
  { href: '/', label: 'Forum', when: signedIn, match: (p) => p === '/' || /^\/(c|t|tags|new-thread|bookmarks)(\/|$)/.test(p) },
  { href: '/search', label: 'Search', when: signedIn },
  {
    href: '/workspaces',
    label: 'Workspaces',
    when: signedIn,
    match: (p) => /^\/(workspaces|w|collaborators|collaborations|profile\/research)(\/|$)/.test(p),
  },
  { href: '/exemptions', label: 'Exemptions', when: signedIn, match: (p) => /^\/(exemptions|requests)(\/|$)/.test(p) },
  { href: '/review/exemptions', label: 'Review', when: (s) => s.isReviewer },
  { href: '/moderation', label: 'Moderation', when: (s) => s.isModerator },
  { href: '/reports', label: 'Reports', when: signedIn, match: (p) => /^\/(reports|publications|staff\/reports)(\/|$)/.test(p) },
];

function renderNav() {
  const nav = document.getElementById('site-nav');
  const path = window.location.pathname;
  const items = NAV.filter((item) => !item.when || item.when(session));
  clear(nav).append(
    h(
      'ul',
      {},
      items.map((item) => {
        const current = item.match ? item.match(path) : path === item.href || path.startsWith(`${item.href}/`);
        return h('li', {}, h('a', { href: item.href, 'aria-current': current ? 'page' : null }, item.label));
      }),
    ),
  );
  const account = document.getElementById('account-nav');
  clear(account);
  if (session.signedIn) {
    const unread = session.unread;
    put(account, 
      !session.verified ? null : h(
        'a',
        {
          href: '/notifications',
          class: 'notif-link',
          'aria-current': path === '/notifications' ? 'page' : null,
          'aria-label': unread ? `Notifications, ${unread} unread` : 'Notifications',
        },
        'Notifications',
        unread ? h('span', { class: 'count', 'aria-hidden': 'true' }, String(unread)) : null,
      ),
      h(
        'a',
        { href: '/profile', class: 'profile-link', 'aria-current': path === '/profile' ? 'page' : null },
        session.user?.displayName || 'Profile',
      ),
      h('button', { type: 'button', class: 'link-button', onclick: () => auth.signOut() }, 'Sign out'),
    );
  } else {
    put(account, 
      h('a', { href: `/sign-in${path !== '/' && !path.startsWith('/sign') ? `?next=${encodeURIComponent(path + window.location.search)}` : ''}` }, 'Sign in'),
      // Without password sign-up, accounts come from the identity provider.
      session.signInOptions.password ? h('a', { href: '/sign-up', class: 'btn btn-small btn-primary' }, 'Sign up') : null,
    );
  }
}

// Composers preview markdown with the server's own renderer and sanitizer.
setMarkdownPreviewer(async (source) => (await gql('query Preview($source: String!) { previewMarkdown(source: $source) }', { source })).previewMarkdown);

addProfileSection(async (container) => {
  replace(container, 
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'research-h' },
      h('h2', { id: 'research-h' }, 'Research profile'),
      h('p', {}, 'Your research areas, methods and what you are looking for: they decide who is suggested to you as a collaborator, and to whom you are suggested.'),
      h('p', {}, h('a', { class: 'btn', href: '/profile/research' }, 'Edit your research profile')),
    ),
  );
});
addProfileSection(preferencesSection);
addPublicProfileSection(matching.publicResearchProfile);
exemptions.setWorkspaceSource(workspaces.myWorkspaceOptions);
publications.setReportWorkspaceSource(workspaces.myWorkspaceOptions);

// ---- routes ------------------------------------------------------------------------

// Members land on the forum; visitors on the welcome page.
route('/', (ctx) => {
  if (!session.signedIn) return homePage(ctx);
  return session.verified ? forum.forumHome(ctx) : auth.confirmFirst(ctx);
});
route('/c/:slug', forum.categoryPage, { auth: true });
route('/tags/:name', forum.tagPage, { auth: true });
route('/new-thread', forum.newThreadPage, { auth: true, title: 'New thread' });
route('/t/:id', forum.threadPage, { auth: true });
route('/bookmarks', forum.bookmarksPage, { auth: true, title: 'Bookmarks' });
route('/forum/manage', manageForumPage, {
  auth: true,
  allow: (s) => s.isAdmin || s.isModerator,
  deniedText: 'Forum set-up is for admins (categories) and moderators (tags).',
  title: 'Forum set-up',
});
route('/search', searchPage, { auth: true, title: 'Search' });

const moderators = { allow: (s) => s.isModerator, deniedText: 'The moderation queue is for forum moderators.' };
route('/moderation', moderation.queuePage, { auth: true, ...moderators, title: 'Moderation queue' });
route('/moderation/log', moderation.auditLogPage, { auth: true, ...moderators, title: 'Moderation audit log' });
route('/moderation/:id', moderation.itemPage, { auth: true, ...moderators });
route('/sign-up', auth.signUp, { title: 'Create an account' });
route('/check-email', auth.checkEmail, { title: 'Check your email' });
route('/verify', auth.verify, { title: 'Confirm your email' });
route('/sign-in', auth.signIn, { title: 'Sign in' });
route('/forgot-password', auth.forgotPassword, { title: 'Reset your password' });
route('/reset-password', auth.resetPassword, { title: 'Choose a new password' });
route('/notifications', notificationsPage, { auth: true, title: 'Notifications' });
route('/profile', profilePage, { auth: true, unconfirmed: true, title: 'Your profile' });
route('/u/:handle', userPage, { auth: true });

route('/workspaces', workspaces.browsePage, { auth: true, title: 'Community workspaces' });
route('/workspaces/mine', workspaces.minePage, { auth: true, title: 'Your workspace listings' });
route('/workspaces/new', workspaces.newWorkspacePage, { auth: true, title: 'List a workspace' });
route('/workspaces/:id', workspaces.workspacePage, { auth: true });
route('/workspaces/:id/edit', workspaces.editWorkspacePage, { auth: true });
route('/w/:id', workspaces.workspacePage, { auth: true });
route('/collaborators', matching.suggestionsPage, { auth: true, title: 'Suggested collaborators' });
route('/collaborators/ask/:handle', matching.askPage, { auth: true });
route('/collaborations', matching.requestsPage, { auth: true, title: 'Collaboration requests' });
route('/collaborations/:id', matching.requestPage, { auth: true });
route('/profile/research', matching.researchProfilePage, { auth: true, title: 'Your research profile' });

const reviewers = { allow: (s) => s.isReviewer, deniedText: 'The review queue is for program reviewers.' };
route('/exemptions', exemptions.myRequestsPage, { auth: true, title: 'Exemption requests' });
route('/exemptions/new', exemptions.newRequestPage, { auth: true, title: 'New exemption request' });
route('/exemptions/:id', exemptions.requestPage, { auth: true });
route('/exemptions/:id/edit', exemptions.editRequestPage, { auth: true });
route('/requests/:id', exemptions.requestPage, { auth: true });
route('/review/exemptions', exemptions.queuePage, { auth: true, ...reviewers, title: 'Exemption review queue' });

const staff = { allow: (s) => s.isReviewer || s.isAdmin, deniedText: 'This page is for program staff (reviewers and admins).' };
route('/reports', publications.myReportsPage, { auth: true, title: 'Your publication reports' });
route('/reports/new', publications.newReportPage, { auth: true, title: 'Report a publication' });
route('/reports/:id', publications.reportPage, { auth: true });
route('/reports/:id/edit', publications.editReportPage, { auth: true });
route('/publications', publications.communityPublicationsPage, { auth: true, title: 'Community publications' });
route('/staff/reports', publications.staffReportsPage, { auth: true, ...staff, title: 'Filed publication reports' });

unconfirmed(auth.confirmFirst);

notFound(({ view, path }) => {
  put(view, 
    pageHeader('Page not found'),
    empty(`There is nothing at ${path}. The link may be mistyped, or the page may have moved.`, h('p', {}, h('a', { class: 'btn', href: '/' }, 'Go to the home page'))),
  );
});

// ---- start -------------------------------------------------------------------------

onSessionChange(renderNav);
onNavigate(renderNav);

// A session that ended elsewhere (signed out everywhere, expired) shows up as
// UNAUTHENTICATED on a page that thought it was signed in.
onApiError((err) => {
  if (err.code === 'UNAUTHENTICATED' && session.signedIn) {
    loadSession().then(() => {
      if (!session.signedIn) {
        flash('Your session has ended. Please sign in again.', 'info');
        navigate(`/sign-in?next=${encodeURIComponent(window.location.pathname + window.location.search)}`, { replace: true });
      }
    });
  }
});

async function boot() {
  try {
    await loadSession();
  } catch (err) {
    flash(`${err.message} Some features may be unavailable.`, 'error');
  }
  await start();
  document.body.classList.add('ready');
  // The unread badge stays fresh while the tab is in use.
  setInterval(() => {
    if (document.visibilityState === 'visible') refreshUnread();
  }, 60_000);
}

boot();
