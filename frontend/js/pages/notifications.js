// The viewer's notifications: all or unread, mark one or all as read.

import { gql } from '../api.js';
import { navigate, setTitle } from '../router.js';
import { refreshUnread, session, setUnread } from '../session.js';
import {
  empty,
  errorBox,
  flash,
  h,
  loading,
  loadMore,
  pageHeader,
  put,
  replace,
  tabLinks,
  time,
} from '../ui.js';

const PAGE = 20;
const QUERY = `query Notifications($unreadOnly: Boolean!, $first: Int, $after: String) {
  notifications(unreadOnly: $unreadOnly, first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes { id kind title excerpt link read createdAt actor { handle displayName } }
  }
}`;

async function markRead(id) {
  await gql('mutation MarkRead($id: ID!) { markNotificationRead(id: $id) { id read } }', { id });
  setUnread(session.unread - 1);
}

function item(n) {
  const li = h('li', { class: ['notification', n.read ? 'is-read' : 'is-unread'] });
  const open = async (event) => {
    event.preventDefault();
    if (!n.read) {
      try {
        await markRead(n.id);
      } catch {
        // Opening the target matters more than the read flag.
      }
    }
    navigate(n.link || '/notifications');
  };
  const markButton = n.read
    ? null
    : h(
        'button',
        {
          type: 'button',
          class: 'btn btn-small btn-secondary',
          onclick: async (e) => {
            const b = e.currentTarget;
            b.disabled = true;
            try {
              await markRead(n.id);
              n.read = true;
              li.classList.replace('is-unread', 'is-read');
              li.querySelector('.unread-dot')?.remove();
              b.remove();
            } catch (err) {
              b.disabled = false;
              flash(err.message, 'error');
            }
          },
        },
        'Mark as read',
      );
  put(li, 
    h(
      'div',
      { class: 'notification-main' },
      n.read ? null : h('span', { class: 'unread-dot', title: 'Unread' }, h('span', { class: 'visually-hidden' }, 'Unread: ')),
      h('a', { href: n.link || '/notifications', class: 'notification-title', onclick: open }, n.title),
      n.excerpt ? h('p', { class: 'excerpt' }, n.excerpt) : null,
      h(
        'p',
        { class: 'meta' },
        n.actor ? `${n.actor.displayName} (@${n.actor.handle}) · ` : '',
        time(n.createdAt),
      ),
    ),
    markButton,
  );
  return li;
}

export async function notificationsPage({ view, query }) {
  setTitle('Notifications');
  const unreadOnly = query.get('filter') === 'unread';
  const body = h('div', { class: 'notifications-body' });
  const load = async () => {
    replace(body, loading());
    try {
      const data = await gql(QUERY, { unreadOnly, first: PAGE, after: null });
      const conn = data.notifications;
      if (conn.nodes.length === 0) {
        replace(body, 
          empty(unreadOnly ? 'You are all caught up: no unread notifications.' : 'No notifications yet. Replies, mentions and decisions about your requests will appear here.'),
        );
        return;
      }
      const list = h('ul', { class: 'notification-list', 'aria-label': 'Notifications' }, conn.nodes.map(item));
      replace(body, 
        list,
        loadMore(list, conn.pageInfo, async (after) => (await gql(QUERY, { unreadOnly, first: PAGE, after })).notifications, item),
      );
      refreshUnread();
    } catch (err) {
      replace(body, errorBox(err, load));
    }
  };
  const markAll = h(
    'button',
    {
      type: 'button',
      class: 'btn btn-secondary',
      onclick: async (e) => {
        const b = e.currentTarget;
        b.disabled = true;
        try {
          const data = await gql('mutation MarkAll { markAllNotificationsRead }');
          setUnread(0);
          flash(data.markAllNotificationsRead ? `Marked ${data.markAllNotificationsRead} as read.` : 'Everything was already read.', 'success');
          await load();
        } catch (err) {
          flash(err.message, 'error');
        } finally {
          b.disabled = false;
        }
      },
    },
    'Mark all as read',
  );
  put(view, 
    pageHeader('Notifications', h('div', { class: 'header-actions' }, markAll)),
    tabLinks(
      'Filter notifications',
      [
        { key: 'all', href: '/notifications', label: 'All' },
        { key: 'unread', href: '/notifications?filter=unread', label: 'Unread' },
      ],
      unreadOnly ? 'unread' : 'all',
    ),
    body,
  );
  await load();
}
