// The moderation queue for moderators: what is held, flagged or hidden and
// why, a decision screen per item, tools for threads and members, and the
// audit log.

import { gql } from '../api.js';
import { navigate, setTitle } from '../router.js';
import { session } from '../session.js';
import {
  badge,
  confirmAction,
  empty,
  enumLabel,
  field,
  flash,
  formatDateTime,
  h,
  loading,
  loadMore,
  onSubmit,
  orNull,
  pageHeader,
  put,
  replace,
  serverHtml,
  setFieldError,
  show,
  tabLinks,
  time,
} from '../ui.js';

const PAGE = 25;
const STATUSES = ['PENDING', 'APPROVED', 'REJECTED', 'IGNORED'];
const REASONS = [
  ['SMALL_COUNT', 'Small participant count (1–20)'],
  ['PERSON_IDENTIFIER', 'Participant identifier'],
  ['SSN', 'Looks like a Social Security number'],
  ['PRIVACY', 'Flagged: privacy'],
  ['SPAM', 'Flagged: spam'],
  ['OFF_TOPIC', 'Flagged: off topic'],
  ['INAPPROPRIATE', 'Flagged: inappropriate'],
  ['OTHER', 'Flagged: other'],
  ['NEW_USER', 'New member’s first posts'],
  ['BLOCKED_WORD', 'Blocked word'],
  ['LINK_LIMIT', 'Too many links for a new member'],
  ['BLOCKED_DOMAIN', 'Blocked link domain'],
];
const label = (key) => (REASONS.find(([k]) => k === key) || [key, enumLabel(key)])[1];

const PRIORITY_KIND = { URGENT: 'danger', HIGH: 'warn', NORMAL: 'info' };
const STATUS_KIND = { PENDING: 'info', APPROVED: 'success', REJECTED: 'danger', IGNORED: '' };

const SUMMARY = `id status priority version targetType score flagCount firstPost hiddenByFlags contentState openedAt updatedAt
  reasons { reason count }
  thread { id title link locked pinned }
  post { id number link }
  category { name }
  author { id handle displayName }
  claimedBy { id handle displayName }`;
const DETAIL = `${SUMMARY} claimedAt decidedAt decisionReason createdAt
  decidedBy { displayName }
  post { id number link body bodyHtml deleted moderationState }
  findings { code message excerpt }
  flags { id reason text status targetType createdAt flaggedBy { displayName handle } }
  history { kind actor { displayName } note createdAt }`;

function moderationTabs(current) {
  return tabLinks(
    'Moderation',
    [
      { key: 'queue', href: '/moderation', label: 'Queue' },
      { key: 'log', href: '/moderation/log', label: 'Audit log' },
    ],
    current,
  );
}

function itemRow(item) {
  return h(
    'li',
    { class: 'moderation-item' },
    h(
      'div',
      { class: 'row' },
      badge(enumLabel(item.priority), PRIORITY_KIND[item.priority]),
      h('a', { class: 'list-title', href: `/moderation/${item.id}` }, item.thread ? item.thread.title : `Item ${item.id}`),
      item.post && item.post.number > 1 ? h('span', { class: 'meta' }, `reply #${item.post.number}`) : null,
      item.status !== 'PENDING' ? badge(enumLabel(item.status), STATUS_KIND[item.status]) : null,
    ),
    h('ul', { class: 'tag-list', 'aria-label': 'Reasons' }, item.reasons.map((r) => h('li', {}, h('span', { class: 'tag' }, `${label(r.reason)}${r.count > 1 ? ` ×${r.count}` : ''}`)))),
    h(
      'p',
      { class: 'meta' },
      item.author ? `${item.author.displayName} (@${item.author.handle}) · ` : '',
      item.category ? `${item.category.name} · ` : '',
      item.contentState ? `content ${enumLabel(item.contentState).toLowerCase()} · ` : '',
      item.flagCount ? `${item.flagCount} flag${item.flagCount === 1 ? '' : 's'} (score ${item.score}) · ` : '',
      'waiting since ',
      time(item.openedAt),
      item.claimedBy ? ` · claimed by ${item.claimedBy.displayName}` : '',
    ),
  );
}

const QUEUE = `query ModerationQueue($filter: ModerationQueueFilter, $first: Int, $after: String) {
  moderationQueue(filter: $filter, first: $first, after: $after) { pageInfo { hasNextPage endCursor } nodes { ${SUMMARY} } }
}`;

export async function queuePage({ view, query }) {
  setTitle('Moderation queue');
  const status = STATUSES.includes(query.get('status')) ? query.get('status') : 'PENDING';
  const reason = REASONS.some(([k]) => k === query.get('reason')) ? query.get('reason') : '';
  const older = Number(query.get('older')) > 0 ? Number(query.get('older')) : null;
  const categoryId = query.get('category') || '';
  const categories = await gql('query ModCategories { forumCategories { id name } }').then((d) => d.forumCategories).catch(() => []);
  const form = h(
    'form',
    { class: 'card form', role: 'search', 'aria-label': 'Filter the queue' },
    h(
      'div',
      { class: 'filters' },
      field({ label: 'Status', name: 'status', type: 'select', value: status, options: STATUSES.map((s) => ({ value: s, label: enumLabel(s) })) }),
      field({ label: 'Reason', name: 'reason', type: 'select', value: reason, options: [{ value: '', label: 'Any reason' }, ...REASONS.map(([value, text]) => ({ value, label: text }))] }),
      field({ label: 'Category', name: 'category', type: 'select', value: categoryId, options: [{ value: '', label: 'Any category' }, ...categories.map((c) => ({ value: c.id, label: c.name }))] }),
      field({ label: 'Waiting at least (hours)', name: 'older', type: 'number', value: older ?? '', attrs: { min: 1 } }),
    ),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, 'Apply filters'), h('a', { href: '/moderation' }, 'Clear')),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const params = new URLSearchParams();
    for (const name of ['status', 'reason', 'category', 'older']) {
      const v = form.querySelector(`[name=${name}]`).value;
      if (v && !(name === 'status' && v === 'PENDING')) params.set(name, v);
    }
    navigate(`/moderation${params.toString() ? `?${params}` : ''}`);
  });
  const body = h('div', {}, loading('Loading the queue…'));
  put(view, 
    pageHeader('Moderation queue'),
    moderationTabs('queue'),
    h('p', { class: 'lead' }, 'Most urgent first: anything that may expose participant data, then content withheld until someone decides, then flags.'),
    form,
    body,
  );
  const vars = { filter: { status, reason: reason || null, categoryId: categoryId || null, olderThanHours: older }, first: PAGE, after: null };
  const conn = (await gql(QUEUE, vars)).moderationQueue;
  if (!conn.nodes.length) {
    replace(body, empty(status === 'PENDING' ? 'The queue is empty. Nothing waits for a moderator.' : 'No items match these filters.'));
    return;
  }
  const list = h('ul', { class: 'list', 'aria-label': 'Queue items' }, conn.nodes.map(itemRow));
  replace(body, list, loadMore(list, conn.pageInfo, async (after) => (await gql(QUEUE, { ...vars, after })).moderationQueue, itemRow));
}

// ---- one item -----------------------------------------------------------------------------------

function decisionForm(item, refresh) {
  const form = h(
    'form',
    { class: 'form' },
    field({
      label: 'Reason',
      name: 'reason',
      type: 'textarea',
      rows: 3,
      hint: 'Required to reject: the author is told, in the app and by email.',
    }),
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'submit', class: 'btn btn-primary', value: 'approve' }, 'Approve: publish'),
      h('button', { type: 'submit', class: 'btn btn-danger', value: 'reject' }, 'Reject: hide'),
      h('button', { type: 'submit', class: 'btn btn-secondary', value: 'ignore' }, 'Ignore'),
    ),
  );
  onSubmit(form, async (v, f, submitter) => {
    const action = submitter?.value || 'approve';
    if (action === 'reject' && !v.reason.trim()) {
      setFieldError(f, 'reason', 'Give the reason: the author is told.');
      f.querySelector('[name=reason]').focus();
      return;
    }
    const mutation = {
      approve: 'mutation Approve($input: ModerationDecisionInput!) { approveModerationItem(input: $input) { id status } }',
      reject: 'mutation Reject($input: ModerationDecisionInput!) { rejectModerationItem(input: $input) { id status } }',
      ignore: 'mutation Ignore($input: ModerationDecisionInput!) { ignoreModerationItem(input: $input) { id status } }',
    }[action];
    await gql(mutation, { input: { id: item.id, expectedVersion: item.version, reason: orNull(v.reason) } });
    flash({ approve: 'Approved.', reject: 'Rejected; the author is told why.', ignore: 'Closed.' }[action], 'success');
    refresh();
  });
  return form;
}

function memberTools(author, refresh) {
  if (!author) return null;
  const silence = h(
    'form',
    { class: 'form' },
    field({ label: 'Silence until', name: 'until', type: 'date', required: true, hint: 'They can read but not post. At most a year.' }),
    field({ label: 'Reason for silencing', name: 'reason', required: true }),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn btn-secondary' }, `Silence @${author.handle}`)),
  );
  onSubmit(silence, async (v) => {
    const until = new Date(`${v.until}T23:59:59`).toISOString();
    await gql('mutation Silence($userId: ID!, $until: DateTime!, $reason: String!) { silenceUser(userId: $userId, until: $until, reason: $reason) { id } }', { userId: author.id, until, reason: v.reason });
    flash(`@${author.handle} is silenced.`, 'success');
    refresh();
  });
  const suspend = h(
    'form',
    { class: 'form' },
    field({ label: 'Reason for suspending', name: 'reason', required: true, hint: 'They are signed out everywhere and emailed the reason.' }),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn btn-danger' }, `Suspend @${author.handle}`)),
  );
  onSubmit(suspend, async (v) => {
    if (!confirmAction(`Suspend @${author.handle}? They are signed out at once.`)) return;
    await gql('mutation Suspend($userId: ID!, $reason: String!) { suspendUser(userId: $userId, reason: $reason) { id } }', { userId: author.id, reason: v.reason });
    flash(`@${author.handle} is suspended.`, 'success');
    refresh();
  });
  return h('details', { class: 'card' }, h('summary', {}, `The author: ${author.displayName}`), h('h3', {}, 'Silence'), silence, h('h3', {}, 'Suspend'), suspend);
}

export async function itemPage({ view, params }) {
  const load = async () => (await gql(`query ModerationItem($id: ID!) { moderationItem(id: $id) { ${DETAIL} } }`, { id: params.id })).moderationItem;
  const draw = (item) => {
    setTitle(`Moderation: ${item.thread?.title || item.id}`);
    const refresh = async () => show(view, draw(await load()));
    const mine = item.claimedBy && item.claimedBy.id === session.user?.id;
    const claim = item.status === 'PENDING'
      ? h(
          'p',
          { class: 'actions' },
          !item.claimedBy || !mine
            ? h(
                'button',
                {
                  type: 'button',
                  class: 'btn',
                  onclick: async () => {
                    try {
                      await gql('mutation Claim($id: ID!, $expectedVersion: Int) { claimModerationItem(id: $id, expectedVersion: $expectedVersion) { id } }', { id: item.id, expectedVersion: item.version });
                      flash('You are reviewing this item.', 'success');
                      refresh();
                    } catch (err) {
                      flash(err.message, 'error');
                    }
                  },
                },
                item.claimedBy ? `Take over from ${item.claimedBy.displayName}` : 'Claim for review',
              )
            : h(
                'button',
                {
                  type: 'button',
                  class: 'btn btn-secondary',
                  onclick: async () => {
                    try {
                      await gql('mutation Release($id: ID!) { releaseModerationItem(id: $id) { id } }', { id: item.id });
                      flash('Released back to the queue.', 'success');
                      refresh();
                    } catch (err) {
                      flash(err.message, 'error');
                    }
                  },
                },
                'Release',
              ),
        )
      : null;
    return [
      h('p', { class: 'breadcrumbs' }, h('a', { href: '/moderation' }, '← Moderation queue')),
      pageHeader(item.thread ? item.thread.title : `Item ${item.id}`, h('div', { class: 'badges' }, badge(enumLabel(item.priority), PRIORITY_KIND[item.priority]), badge(enumLabel(item.status), STATUS_KIND[item.status]))),
      h(
        'div',
        { class: 'grid-2' },
        h(
          'div',
          { class: 'stack' },
          h(
            'section',
            { class: 'card', 'aria-labelledby': 'content-h' },
            h('h2', { id: 'content-h' }, item.targetType === 'THREAD' ? 'The thread’s opening post' : `Reply #${item.post?.number ?? ''}`),
            h('p', { class: 'meta' }, item.author ? `${item.author.displayName} (@${item.author.handle})` : 'Unknown author', item.contentState ? ` · ${enumLabel(item.contentState)}` : '', item.post ? [' · ', h('a', { href: item.post.link }, 'open in the thread')] : ''),
            item.post?.bodyHtml ? serverHtml(item.post.bodyHtml) : empty('The content is no longer available.'),
          ),
          item.findings.length
            ? h(
                'section',
                { class: 'card', 'aria-labelledby': 'findings-h' },
                h('h2', { id: 'findings-h' }, 'What the screening found'),
                h('ul', { class: 'plain-list findings' }, item.findings.map((f) => h('li', {}, badge(label(f.code), 'warn'), ' ', f.message, f.excerpt ? h('p', {}, h('code', {}, f.excerpt)) : null))),
              )
            : null,
          item.flags.length
            ? h(
                'section',
                { class: 'card', 'aria-labelledby': 'flags-h' },
                h('h2', { id: 'flags-h' }, `Flags (${item.flags.length})`),
                h(
                  'ul',
                  { class: 'plain-list' },
                  item.flags.map((f) => h('li', {}, badge(label(f.reason), 'info'), ' ', f.flaggedBy ? `${f.flaggedBy.displayName} · ` : '', time(f.createdAt), f.status && f.status !== 'OPEN' ? [' · ', enumLabel(f.status)] : '', f.text ? h('p', {}, f.text) : null)),
                ),
              )
            : null,
          h(
            'section',
            { class: 'card', 'aria-labelledby': 'mh-h' },
            h('h2', { id: 'mh-h' }, 'History'),
            h('ol', { class: 'timeline' }, item.history.map((e) => h('li', { class: 'event' }, h('p', { class: 'event-head' }, h('strong', {}, e.actor ? e.actor.displayName : 'The system'), ` ${enumLabel(e.kind).toLowerCase()} · `, time(e.createdAt)), e.note ? h('p', {}, e.note) : null))),
          ),
        ),
        h(
          'aside',
          { class: 'sidebar stack', 'aria-label': 'Decision' },
          h(
            'section',
            { class: 'card', 'aria-labelledby': 'decide-h' },
            h('h2', { id: 'decide-h' }, 'Decision'),
            item.status === 'PENDING'
              ? [h('p', { class: 'meta' }, item.claimedBy ? `Claimed by ${item.claimedBy.displayName} ` : 'Not claimed yet. ', item.claimedAt ? time(item.claimedAt) : ''), claim, decisionForm(item, refresh)]
              : h('p', {}, `${enumLabel(item.status)}${item.decidedBy ? ` by ${item.decidedBy.displayName}` : ''}${item.decidedAt ? ` on ${formatDateTime(item.decidedAt)}` : ''}.`, item.decisionReason ? h('span', {}, ` Reason: ${item.decisionReason}`) : ''),
          ),
          memberTools(item.author, refresh),
        ),
      ),
    ];
  };
  show(view, draw(await load()));
}

// ---- audit log ----------------------------------------------------------------------------------------

const LOG = `query AuditLog($filter: ModerationAuditFilter, $first: Int, $after: String) {
  moderationAuditLog(filter: $filter, first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes { id action actor { displayName } targetType targetId reason createdAt }
  }
}`;

function logRow(e) {
  const target = e.targetType === 'USER' ? `member #${e.targetId}` : e.targetType === 'THREAD' ? h('a', { href: `/t/${e.targetId}` }, `thread #${e.targetId}`) : `post #${e.targetId}`;
  return h(
    'tr',
    {},
    h('td', { class: 'nowrap' }, formatDateTime(e.createdAt)),
    h('td', {}, e.actor ? e.actor.displayName : 'The system'),
    h('td', {}, enumLabel(e.action || '')),
    h('td', {}, target),
    h('td', {}, e.reason),
  );
}

export async function auditLogPage({ view }) {
  setTitle('Moderation audit log');
  put(view, pageHeader('Moderation audit log'), moderationTabs('log'));
  const conn = (await gql(LOG, { filter: null, first: 50, after: null })).moderationAuditLog;
  if (!conn.nodes.length) {
    put(view, empty('No moderation actions yet.'));
    return;
  }
  const tbody = h('tbody', {}, conn.nodes.map(logRow));
  put(view, 
    h(
      'div',
      { class: 'card table-wrap' },
      h('table', { class: 'table' }, h('caption', { class: 'visually-hidden' }, 'Moderation actions, newest first'), h('thead', {}, h('tr', {}, ['When', 'Who', 'Action', 'On', 'Reason'].map((t) => h('th', { scope: 'col' }, t)))), tbody),
    ),
    loadMore(tbody, conn.pageInfo, async (after) => (await gql(LOG, { filter: null, first: 50, after })).moderationAuditLog, logRow),
  );
}
