// Moderation inside the forum: members flag posts, authors read why their
// post is held or hidden, and moderators lock, pin, move and hide in place.

import { gql } from '../api.js';
import { session } from '../session.js';
import { badge, confirmAction, field, flash, h, onSubmit, orNull } from '../ui.js';

const FLAG_REASONS = [
  ['PRIVACY', 'It may expose participant data (small counts, identifiers)'],
  ['SPAM', 'Spam'],
  ['OFF_TOPIC', 'Off topic'],
  ['INAPPROPRIATE', 'Inappropriate'],
  ['OTHER', 'Something else (explain)'],
];

/** The post fields this module reads, for the thread query. */
export const POST_MODERATION_FIELDS = 'moderationNotice { state summary policy fix decisionReason reasons { code message excerpt } }';

/** For the author and moderators of a held or hidden post: why, and how to fix it. */
export function moderationNotice(post) {
  const n = post.moderationNotice;
  if (!n) return null;
  return h(
    'div',
    { class: ['state', n.state === 'HIDDEN' ? 'state-error' : 'state-warn', 'moderation-notice'], role: 'note' },
    h('p', {}, h('strong', {}, n.summary)),
    n.policy ? h('p', {}, n.policy) : null,
    n.reasons.length ? h('ul', {}, n.reasons.map((r) => h('li', {}, r.message, r.excerpt ? [' ', h('code', {}, r.excerpt)] : null))) : null,
    n.fix ? h('p', {}, h('strong', {}, 'How to fix it: '), n.fix) : null,
    n.decisionReason ? h('p', {}, h('strong', {}, 'Moderator’s reason: '), n.decisionReason) : null,
  );
}

/** A "Flag" disclosure with the reasons; one flag per member per post. */
export function flagControl(post, onDone) {
  const details = h('details', { class: 'flag-control' }, h('summary', {}, 'Flag'));
  const form = h(
    'form',
    { class: 'form' },
    field({ label: 'Why should moderators look at this post?', name: 'reason', type: 'select', required: true, options: [{ value: '', label: 'Choose a reason…' }, ...FLAG_REASONS.map(([value, label]) => ({ value, label }))] }),
    field({ label: 'Details', name: 'text', type: 'textarea', rows: 2, hint: 'Required for “something else”.', attrs: { maxlength: 1000 } }),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn btn-small btn-danger' }, 'Send flag')),
  );
  onSubmit(form, async (v) => {
    const data = await gql('mutation Flag($input: FlagInput!) { flag(input: $input) { hidden } }', {
      input: { postId: post.id, reason: v.reason, text: orNull(v.text) },
    });
    details.open = false;
    flash(data.flag.hidden ? 'Thank you. Enough members flagged it: the post is hidden until a moderator looks.' : 'Thank you. Moderators will look at it.', 'success');
    onDone?.();
  });
  details.append(form);
  return details;
}

/** Moderators: redact one earlier version of someone else's post, for everyone. */
export function revisionRedactTool(post, revision, reload) {
  if (!session.isModerator || revision.redacted || post.author?.id === session.user?.id) return null;
  const form = h(
    'form',
    { class: 'form inline-form' },
    field({ label: 'Reason for redacting (kept in the audit log)', name: 'reason', required: true }),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn btn-small btn-danger' }, 'Redact this version')),
  );
  onSubmit(form, async (v) => {
    await gql('mutation RedactRevision($postId: ID!, $number: Int!, $reason: String!) { redactPostRevision(postId: $postId, number: $number, reason: $reason) { number } }', { postId: post.id, number: revision.number, reason: v.reason });
    flash('The version is redacted for everyone.', 'success');
    reload();
  });
  return h('details', { class: 'mod-tools' }, h('summary', {}, 'Redact'), form);
}

/** Moderators: hide or publish a post in place. */
export function postModeratorTools(post, reload) {
  if (!session.isModerator) return null;
  if (post.moderationState === 'VISIBLE') {
    const form = h(
      'form',
      { class: 'form inline-form' },
      field({ label: 'Reason for hiding (the author is told)', name: 'reason', required: true }),
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn btn-small btn-danger' }, 'Hide post')),
    );
    onSubmit(form, async (v) => {
      await gql('mutation HidePost($postId: ID!, $reason: String!) { hidePost(postId: $postId, reason: $reason) { id } }', { postId: post.id, reason: v.reason });
      flash('Hidden; the author is told why.', 'success');
      reload();
    });
    return h('details', { class: 'mod-tools' }, h('summary', {}, 'Moderate'), form);
  }
  return h(
    'button',
    {
      type: 'button',
      class: 'btn btn-small',
      onclick: async () => {
        try {
          await gql('mutation UnhidePost($postId: ID!) { unhidePost(postId: $postId) { id } }', { postId: post.id });
          flash('Published.', 'success');
          reload();
        } catch (err) {
          flash(err.message, 'error');
        }
      },
    },
    'Publish post',
  );
}

/** Moderators: lock, pin and move a thread. */
export function threadModeratorTools(thread, categories, reload) {
  if (!session.isModerator) return null;
  const run = async (mutation, vars, message) => {
    try {
      await gql(mutation, vars);
      flash(message, 'success');
      reload();
    } catch (err) {
      flash(err.message, 'error');
    }
  };
  const move = h(
    'form',
    { class: 'form inline-form' },
    field({ label: 'Move to', name: 'categoryId', type: 'select', value: thread.category?.id || '', options: categories.map((c) => ({ value: c.id, label: c.name })) }),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn btn-small btn-secondary' }, 'Move')),
  );
  onSubmit(move, async (v) => {
    await gql('mutation MoveThread($threadId: ID!, $categoryId: ID!) { moveThread(threadId: $threadId, categoryId: $categoryId) { id } }', { threadId: thread.id, categoryId: v.categoryId });
    flash('Moved.', 'success');
    reload();
  });
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'modtools-h' },
    h('h2', { id: 'modtools-h' }, 'Moderator tools'),
    h('p', { class: 'badges' }, thread.locked ? badge('Locked') : null, thread.pinned ? badge('Pinned', 'info') : null),
    h(
      'div',
      { class: 'actions' },
      thread.locked
        ? h('button', { type: 'button', class: 'btn btn-small', onclick: () => run('mutation Unlock($threadId: ID!) { unlockThread(threadId: $threadId) { id } }', { threadId: thread.id }, 'Unlocked.') }, 'Unlock')
        : h('button', { type: 'button', class: 'btn btn-small', onclick: () => confirmAction('Lock this thread? Only moderators can reply then.') && run('mutation Lock($threadId: ID!) { lockThread(threadId: $threadId) { id } }', { threadId: thread.id }, 'Locked.') }, 'Lock'),
      thread.pinned
        ? h('button', { type: 'button', class: 'btn btn-small', onclick: () => run('mutation Unpin($threadId: ID!) { unpinThread(threadId: $threadId) { id } }', { threadId: thread.id }, 'Unpinned.') }, 'Unpin')
        : h('button', { type: 'button', class: 'btn btn-small', onclick: () => run('mutation Pin($threadId: ID!) { pinThread(threadId: $threadId) { id } }', { threadId: thread.id }, 'Pinned.') }, 'Pin'),
    ),
    categories.length ? move : null,
    h('p', {}, h('a', { href: '/moderation' }, 'Open the moderation queue')),
  );
}
