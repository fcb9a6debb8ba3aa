// Sign up, email verification, sign in, and password reset.

import { gql } from '../api.js';
import { navigate, setTitle } from '../router.js';
import { loadSession, session } from '../session.js';
import {
  clear,
  field,
  flash,
  h,
  loading,
  onSubmit,
  orNull,
  pageHeader,
  put,
  setFieldError,
} from '../ui.js';

/**
 * Only same-origin paths are followed after sign-in. The value is resolved
 * the way the browser would resolve it (`/\evil.example` and `/<tab>/evil`
 * leave the site: browsers read `\` as `/` and drop tabs), and kept
 * only when it stays on this origin; what is followed is the resolved path.
 */
function safeNext(query) {
  const next = query.get('next') || '/';
  if (!next.startsWith('/') || /[\\\u0000-\u001f\u007f]/.test(next)) return '/';
  let url;
  try {
    url = new URL(next, window.location.origin);
  } catch {
    return '/';
  }
  if (url.origin !== window.location.origin || !url.pathname.startsWith('/') || url.pathname.startsWith('//')) return '/';
  return url.pathname + url.search + url.hash;
}

function passwordField(label = 'Password', name = 'password', autocomplete = 'current-password') {
  return field({
    label,
    name,
    type: 'password',
    required: true,
    attrs: { autocomplete, minlength: autocomplete === 'new-password' ? 10 : null },
    hint: autocomplete === 'new-password' ? 'At least 10 characters. A few unrelated words make a strong one.' : '',
  });
}

/** The "Sign in with …" button, returning to `next` afterwards. */
function providerButton(next) {
  const provider = session.signInOptions.provider;
  if (!provider) return null;
  const href = `${provider.startPath}?next=${encodeURIComponent(next)}`;
  // A full page load: the server sends the browser on to the provider.
  return h('p', {}, h('a', { class: 'btn btn-primary', href, 'data-external': '' }, `Sign in with ${provider.displayName}`));
}

/** Shown where a password page is not offered. */
function passwordsOff(view, title) {
  put(view,
    h(
      'section',
      { class: 'narrow' },
      pageHeader(title),
      h('p', { class: 'lead' }, 'Research Commons signs you in with your program account; there is no separate password here.'),
      providerButton('/'),
    ),
  );
}

export function signUp({ view }) {
  setTitle('Create an account');
  if (!session.signInOptions.password) {
    passwordsOff(view, 'Create an account');
    return;
  }
  const domains = session.allowedEmailDomains.length ? session.allowedEmailDomains.join(', ') : 'researchallofus.org';
  const form = h(
    'form',
    { class: 'card form', 'aria-labelledby': 'signup-title' },
    field({
      label: 'Program email',
      name: 'email',
      type: 'email',
      required: true,
      hint: `Use your program account (${domains}).`,
      attrs: { autocomplete: 'email' },
    }),
    field({ label: 'Display name', name: 'displayName', required: true, attrs: { autocomplete: 'name', maxlength: 80 } }),
    field({
      label: 'Handle',
      name: 'handle',
      hint: 'Optional. Others mention you as @handle; we derive one from your email if you leave this empty.',
      attrs: { autocomplete: 'username', pattern: '[a-z0-9][a-z0-9_-]{1,29}' },
    }),
    field({ label: 'Institution', name: 'institution', attrs: { autocomplete: 'organization', maxlength: 160 } }),
    passwordField('Password', 'password', 'new-password'),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, 'Create account')),
  );
  onSubmit(
    form,
    async (v) => {
      // The answer is the same whether or not the address already has an
      // account (its owner is mailed instead), so there is nothing to show
      // but where the link went.
      const data = await gql(
        `mutation SignUp($input: SignUpInput!) { signUp(input: $input) { email } }`,
        {
          input: {
            email: v.email.trim(),
            password: v.password,
            displayName: v.displayName.trim(),
            institution: orNull(v.institution),
            handle: orNull(v.handle),
          },
        },
      );
      navigate(`/check-email?email=${encodeURIComponent(data.signUp.email)}`);
    },
    { busyText: 'Creating account…' },
  );
  put(view, 
    h(
      'section',
      { class: 'narrow' },
      h('h1', { id: 'signup-title', tabindex: '-1' }, 'Create your Research Commons account'),
      h('p', { class: 'lead' }, 'Join the community of Researcher Workbench users: ask and answer questions, find collaborators, and file your reports.'),
      form,
      h('p', {}, 'Already have an account? ', h('a', { href: '/sign-in' }, 'Sign in')),
    ),
  );
}

function resendForm(email = '') {
  const form = h(
    'form',
    { class: 'form inline-form' },
    field({ label: 'Email', name: 'email', type: 'email', value: email, required: true, attrs: { autocomplete: 'email' } }),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn btn-secondary' }, 'Send a new link')),
  );
  onSubmit(
    form,
    async (v) => {
      await gql('mutation Resend($email: String!) { resendVerification(email: $email) }', { email: v.email.trim() });
      flash('If that address has an unconfirmed account, a new link is on its way.', 'success');
    },
    { busyText: 'Sending…' },
  );
  return form;
}

export function checkEmail({ view, query }) {
  setTitle('Check your email');
  const email = query.get('email') || '';
  put(view, 
    h(
      'section',
      { class: 'narrow' },
      pageHeader('Check your email'),
      h(
        'p',
        { class: 'lead' },
        email ? `We sent a confirmation link to ${email}.` : 'We sent you a confirmation link.',
        ' Open it to confirm your address; the link works once and expires in two days.',
      ),
      h('p', {}, 'Until your address is confirmed you can sign in and edit your account, but not read or post in the forum, workspaces or search. If this address already had an account, we emailed its owner instead.'),
      h('h2', {}, 'No email?'),
      h('p', {}, 'Check your spam folder, or ask for a new link.'),
      resendForm(email),
      h('p', {}, h('a', { class: 'btn', href: '/sign-in' }, 'Go to sign in')),
    ),
  );
}

/** What a signed-in account with an unconfirmed address sees instead of the pages it cannot read yet. */
export function confirmFirst({ view }) {
  setTitle('Confirm your email');
  const email = session.user?.email || '';
  put(view,
    h(
      'section',
      { class: 'narrow' },
      pageHeader('Confirm your email first'),
      h(
        'p',
        { class: 'lead' },
        email ? `Open the confirmation link we sent to ${email}.` : 'Open the confirmation link we emailed you.',
        ' Until then you can edit your account and sign out, but not read or post.',
      ),
      h('h2', {}, 'No email?'),
      h('p', {}, 'Check your spam folder, or ask for a new link.'),
      resendForm(email),
      h('p', {}, h('a', { class: 'btn', href: '/profile' }, 'Your account')),
    ),
  );
}

export async function verify({ view, query }) {
  setTitle('Confirm your email');
  const token = query.get('token') || '';
  const section = h('section', { class: 'narrow' }, pageHeader('Confirm your email'));
  put(view, section);
  if (!token) {
    put(section, 
      h('p', { class: 'state state-error', role: 'alert' }, 'This confirmation link is incomplete. Open the link from the email again, or ask for a new one.'),
      resendForm(),
    );
    return;
  }
  const status = loading('Confirming your email…');
  put(section, status);
  try {
    const data = await gql('mutation Verify($token: String!) { verifyEmail(token: $token) { id displayName email } }', { token });
    // The token is single-use: drop it from the address bar and history.
    window.history.replaceState({}, '', '/verify');
    if (session.signedIn) await loadSession();
    clear(status);
    status.replaceWith(
      h(
        'div',
        { class: 'state state-success', role: 'status' },
        h('p', {}, `Thank you, ${data.verifyEmail.displayName}. Your email address is confirmed.`),
        h(
          'p',
          {},
          session.signedIn
            ? h('a', { class: 'btn btn-primary', href: '/' }, 'Go to the forum')
            : h('a', { class: 'btn btn-primary', href: '/sign-in' }, 'Sign in'),
        ),
      ),
    );
  } catch (err) {
    status.replaceWith(
      h('div', { class: 'state state-error', role: 'alert' }, h('p', {}, err.message)),
      h('h2', {}, 'Ask for a new link'),
      resendForm(session.user?.email || ''),
    );
  }
}

export function signIn({ view, query }) {
  setTitle('Sign in');
  if (session.signedIn) {
    put(view, 
      h(
        'section',
        { class: 'narrow' },
        pageHeader('You are signed in'),
        h('p', {}, `Signed in as ${session.user.displayName} (@${session.user.handle}).`),
        h('p', {}, h('a', { class: 'btn btn-primary', href: safeNext(query) }, 'Continue')),
      ),
    );
    return;
  }
  const sso = providerButton(safeNext(query));
  const heading = [
    h('h1', { id: 'signin-title', tabindex: '-1' }, 'Sign in to Research Commons'),
    query.get('next') ? h('p', { class: 'lead' }, 'Sign in to continue to that page.') : null,
    sso,
  ];
  // Only the provider signs people in: no password form.
  if (!session.signInOptions.password) {
    put(view, h('section', { class: 'narrow' }, heading));
    return;
  }
  const form = h(
    'form',
    { class: 'card form', 'aria-labelledby': 'signin-title' },
    field({ label: 'Email', name: 'email', type: 'email', required: true, attrs: { autocomplete: 'username' } }),
    passwordField(),
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'submit', class: 'btn btn-primary' }, 'Sign in'),
      h('a', { href: '/forgot-password' }, 'Forgot your password?'),
    ),
  );
  onSubmit(
    form,
    async (v) => {
      await gql(
        'mutation SignIn($email: String!, $password: String!) { signIn(email: $email, password: $password) { expiresAt user { id } } }',
        { email: v.email.trim(), password: v.password },
      );
      await loadSession();
      if (!session.verified) {
        flash('Confirm your email address to continue. Check your inbox for the link.', 'info');
        navigate(`/check-email?email=${encodeURIComponent(session.user?.email || v.email.trim())}`, { replace: true });
        return;
      }
      navigate(safeNext(query), { replace: true });
    },
    { busyText: 'Signing in…' },
  );
  put(view, 
    h(
      'section',
      { class: 'narrow' },
      heading,
      sso ? h('p', { class: 'meta' }, 'Or sign in with your email and password:') : null,
      form,
      h('p', {}, 'New here? ', h('a', { href: '/sign-up' }, 'Create an account')),
    ),
  );
}

export function forgotPassword({ view }) {
  setTitle('Reset your password');
  if (!session.signInOptions.password) {
    passwordsOff(view, 'Reset your password');
    return;
  }
  const done = h('div', { class: 'state state-success', role: 'status', hidden: true });
  const form = h(
    'form',
    { class: 'card form' },
    field({ label: 'Email', name: 'email', type: 'email', required: true, attrs: { autocomplete: 'email' } }),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, 'Email me a reset link')),
  );
  onSubmit(
    form,
    async (v) => {
      await gql('mutation Forgot($email: String!) { requestPasswordReset(email: $email) }', { email: v.email.trim() });
      done.textContent = `If ${v.email.trim()} has an account, a reset link is on its way. It expires in a few hours.`;
      done.hidden = false;
      form.hidden = true;
      done.setAttribute('tabindex', '-1');
      done.focus();
    },
    { busyText: 'Sending…' },
  );
  put(view, 
    h(
      'section',
      { class: 'narrow' },
      pageHeader('Reset your password'),
      h('p', { class: 'lead' }, 'Enter your account email and we will send you a link to choose a new password.'),
      form,
      done,
      h('p', {}, h('a', { href: '/sign-in' }, 'Back to sign in')),
    ),
  );
}

export function resetPassword({ view, query }) {
  setTitle('Choose a new password');
  const token = query.get('token') || '';
  const section = h('section', { class: 'narrow' }, pageHeader('Choose a new password'));
  put(view, section);
  if (!token) {
    put(section, 
      h('p', { class: 'state state-error', role: 'alert' }, 'This reset link is incomplete. Open the link from the email again, or ask for a new one.'),
      h('p', {}, h('a', { class: 'btn', href: '/forgot-password' }, 'Ask for a new link')),
    );
    return;
  }
  const form = h(
    'form',
    { class: 'card form' },
    passwordField('New password', 'newPassword', 'new-password'),
    field({ label: 'Repeat the new password', name: 'confirm', type: 'password', required: true, attrs: { autocomplete: 'new-password' } }),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, 'Set password')),
  );
  onSubmit(
    form,
    async (v, f) => {
      if (v.newPassword !== v.confirm) {
        setFieldError(f, 'confirm', 'The two passwords differ.');
        f.querySelector('[name=confirm]').focus();
        return;
      }
      await gql('mutation Reset($token: String!, $newPassword: String!) { resetPassword(token: $token, newPassword: $newPassword) }', {
        token,
        newPassword: v.newPassword,
      });
      await loadSession();
      flash('Your password is changed, and every session was signed out. Sign in with the new password.', 'success');
      navigate('/sign-in', { replace: true });
    },
    { busyText: 'Saving…' },
  );
  put(section, form);
}

/**
 * Signs out. With an identity provider, the server ends this session and
 * answers the provider's end-session address, so the provider's session
 * ends too; the provider then sends the person back to the home page.
 */
export async function signOut() {
  let leaving = false;
  try {
    if (session.signInOptions.provider) {
      const resp = await fetch('/auth/oidc/sign-out', {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'x-commons-csrf': '1' },
      });
      const answer = resp.ok ? await resp.json() : {};
      if (answer.redirect) {
        leaving = true;
        window.location.assign(answer.redirect);
      }
    } else {
      await gql('mutation SignOut { signOut }');
    }
  } finally {
    if (!leaving) {
      await loadSession().catch(() => {});
      flash('You are signed out.', 'info');
      navigate('/');
    }
  }
}
