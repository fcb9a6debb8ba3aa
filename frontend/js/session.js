// Who is signed in. The session itself is an HttpOnly cookie the page never
// sees; this module only remembers what `viewer` answered.

import { gql } from './api.js';

export const USER_FIELDS = 'id handle displayName institution roles tier createdAt email emailVerified hasPassword';

export const session = {
  signedIn: false,
  verified: false,
  isModerator: false,
  isReviewer: false,
  isAdmin: false,
  user: null,
  allowedEmailDomains: [],
  // How people sign in here: { password, provider: { displayName, startPath } | null }.
  signInOptions: { password: true, provider: null },
  unread: 0,
};

const listeners = new Set();

/** fn(session) runs whenever the session or the unread count changes. */
export function onSessionChange(fn) {
  listeners.add(fn);
}

function changed() {
  for (const fn of listeners) fn(session);
}

export async function loadSession() {
  const data = await gql(`query Viewer {
    viewer { signedIn verified isModerator isReviewer isAdmin allowedEmailDomains user { ${USER_FIELDS} } }
    signInOptions { password provider { displayName startPath } }
  }`);
  Object.assign(session, data.viewer, { signInOptions: data.signInOptions, unread: 0 });
  if (session.signedIn) await refreshUnread();
  changed();
  return session;
}

export async function refreshUnread() {
  // Notifications, like everything else to read, wait for a confirmed address.
  if (!session.signedIn || !session.verified) return;
  try {
    const data = await gql('query Unread { unreadNotificationCount }');
    if (data.unreadNotificationCount !== session.unread) {
      session.unread = data.unreadNotificationCount;
      changed();
    }
  } catch {
    // A failed badge refresh is not worth interrupting anyone for.
  }
}

export function setUnread(n) {
  session.unread = Math.max(0, n);
  changed();
}

export function updateUser(user) {
  session.user = { ...session.user, ...user };
  changed();
}

export function hasRole(role) {
  return Boolean(session.user?.roles?.includes(role));
}
