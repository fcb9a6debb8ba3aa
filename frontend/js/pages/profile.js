// The viewer's profile and preferences, and other members' public profiles.

import { gql } from '../api.js';
import { navigate, setTitle } from '../router.js';
import { loadSession, session, updateUser, USER_FIELDS } from '../session.js';
import {
  badge,
  confirmAction,
  empty,
  enumLabel,
  errorBox,
  field,
  flash,
  formatDate,
  h,
  loading,
  onSubmit,
  pageHeader,
  put,
  replace,
  setFieldError,
} from '../ui.js';

/** Extra sections other modules add to the profile page (digest settings, say). */
const extraSections = [];
export function addProfileSection(render) {
  extraSections.push(render);
}

function roleBadges(user) {
  return h(
    'span',
    { class: 'badges' },
    (user.roles || []).map((r) => badge(enumLabel(r), r.toLowerCase())),
    badge(`${enumLabel(user.tier)} tier`, user.tier === 'CONTROLLED' ? 'controlled' : 'registered'),
  );
}

function accountForm(user) {
  const form = h(
    'form',
    { class: 'form' },
    field({ label: 'Display name', name: 'displayName', value: user.displayName, required: true, attrs: { maxlength: 80, autocomplete: 'name' } }),
    field({ label: 'Institution', name: 'institution', value: user.institution, attrs: { maxlength: 160, autocomplete: 'organization' } }),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, 'Save profile')),
  );
  onSubmit(form, async (v) => {
    const data = await gql(
      `mutation UpdateAccount($displayName: String, $institution: String) {
        updateAccount(displayName: $displayName, institution: $institution) { ${USER_FIELDS} }
      }`,
      { displayName: v.displayName.trim(), institution: v.institution.trim() },
    );
    updateUser(data.updateAccount);
    flash('Your profile is saved.', 'success');
  });
  return form;
}

function passwordForm() {
  const form = h(
    'form',
    { class: 'form' },
    field({ label: 'Current password', name: 'currentPassword', type: 'password', required: true, attrs: { autocomplete: 'current-password' } }),
    field({
      label: 'New password',
      name: 'newPassword',
      type: 'password',
      required: true,
      hint: 'At least 10 characters.',
      attrs: { autocomplete: 'new-password' },
    }),
    field({ label: 'Repeat the new password', name: 'confirm', type: 'password', required: true, attrs: { autocomplete: 'new-password' } }),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, 'Change password')),
  );
  onSubmit(form, async (v, f) => {
    if (v.newPassword !== v.confirm) {
      setFieldError(f, 'confirm', 'The two passwords differ.');
      f.querySelector('[name=confirm]').focus();
      return;
    }
    await gql(
      'mutation ChangePassword($currentPassword: String!, $newPassword: String!) { changePassword(currentPassword: $currentPassword, newPassword: $newPassword) }',
      { currentPassword: v.currentPassword, newPassword: v.newPassword },
    );
    f.reset();
    flash('Your password is changed.', 'success');
  });
  return form;
}

function sessionsSection() {
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'sessions-h' },
    h('h2', { id: 'sessions-h' }, 'Sessions'),
    h('p', {}, 'Lost a laptop or signed in on a shared computer? Sign out of every device at once, this one included.'),
    h(
      'button',
      {
        type: 'button',
        class: 'btn btn-danger',
        onclick: async (e) => {
          if (!confirmAction('Sign out on every device, including this one?')) return;
          e.currentTarget.disabled = true;
          try {
            const data = await gql('mutation SignOutEverywhere { signOutEverywhere }');
            await loadSession();
            flash(`Signed out of ${data.signOutEverywhere} session${data.signOutEverywhere === 1 ? '' : 's'}.`, 'success');
            navigate('/sign-in');
          } catch (err) {
            flash(err.message, 'error');
            e.currentTarget.disabled = false;
          }
        },
      },
      'Sign out everywhere',
    ),
  );
}

export async function profilePage({ view }) {
  setTitle('Your profile');
  const data = await gql(`query Me { me { ${USER_FIELDS} lastSeenAt } }`);
  const me = data.me;
  if (!me) {
    put(view, errorBox({ message: 'Please sign in.' }));
    return;
  }
  put(view, 
    pageHeader('Your profile and preferences'),
    h(
      'section',
      { class: 'card profile-summary', 'aria-labelledby': 'summary-h' },
      h('h2', { id: 'summary-h' }, me.displayName),
      h('p', { class: 'meta' }, `@${me.handle}`, me.institution ? ` · ${me.institution}` : '', ` · member since ${formatDate(me.createdAt)}`),
      roleBadges(me),
      h(
        'dl',
        { class: 'facts' },
        h('dt', {}, 'Email'),
        h('dd', {}, me.email || ''),
        h('dt', {}, 'Email confirmed'),
        h('dd', {}, me.emailVerified ? 'Yes' : 'Not yet: use the link we emailed you to start reading and posting.'),
      ),
      me.emailVerified ? null : h('p', {}, h('a', { href: `/check-email?email=${encodeURIComponent(me.email || '')}` }, 'Resend the confirmation link')),
      h('p', {}, h('a', { href: `/u/${encodeURIComponent(me.handle)}` }, 'See your public profile')),
    ),
    h('section', { class: 'card', 'aria-labelledby': 'account-h' }, h('h2', { id: 'account-h' }, 'Profile'), accountForm(me)),
  );
  for (const render of extraSections) {
    const section = h('div', { class: 'extra-section' }, loading());
    put(view, section);
    render(section, me).catch((err) => replace(section, errorBox(err)));
  }
  put(view, 
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'password-h' },
      h('h2', { id: 'password-h' }, 'Password'),
      // An account of the identity provider has no password here.
      session.user?.hasPassword === false
        ? h('p', {}, 'You sign in with your program account, so there is no password to change here.')
        : passwordForm(),
    ),
    sessionsSection(),
  );
}

/** Sections of a member's public profile that other modules add (their threads, workspaces). */
const publicSections = [];
export function addPublicProfileSection(render) {
  publicSections.push(render);
}

export async function userPage({ view, params }) {
  const data = await gql(
    'query UserProfile($handle: String) { user(handle: $handle) { id handle displayName institution roles tier createdAt } }',
    { handle: params.handle },
  );
  const user = data.user;
  if (!user) {
    setTitle('Member not found');
    put(view, pageHeader('Member not found'), empty(`No member has the handle @${params.handle}.`));
    return;
  }
  setTitle(user.displayName);
  put(view, 
    pageHeader(user.displayName),
    h(
      'section',
      { class: 'card profile-summary' },
      h('p', { class: 'meta' }, `@${user.handle}`, user.institution ? ` · ${user.institution}` : '', ` · member since ${formatDate(user.createdAt)}`),
      roleBadges(user),
      session.user?.id === user.id ? h('p', {}, h('a', { href: '/profile' }, 'Edit your profile and preferences')) : null,
    ),
  );
  for (const render of publicSections) {
    const section = h('div', { class: 'extra-section' }, loading());
    put(view, section);
    render(section, user).catch((err) => replace(section, errorBox(err)));
  }
}
