// The forum: home (categories, latest, unread, top), category and tag pages,
// the new-thread composer, a thread with its replies, and bookmarks.

import { gql } from '../api.js';
import { POST_MODERATION_FIELDS, flagControl, moderationNotice, postModeratorTools, revisionRedactTool, threadModeratorTools } from '../components/forum-moderation.js';
import { markdownField } from '../components/markdown.js';
import { navigate, setTitle } from '../router.js';
import { session } from '../session.js';
import {
  badge,
  checkboxGroup,
  clearErrors,
  confirmAction,
  empty,
  errorBox,
  field,
  flash,
  formatDateTime,
  h,
  loading,
  loadMore,
  onSubmit,
  orNull,
  pageHeader,
  plural,
  put,
  replace,
  serverHtml,
  setFieldError,
  tabLinks,
  time,
} from '../ui.js';

const PAGE = 30;
const POSTS_PAGE = 50;
const QUOTE_MAX = 2000;

const THREAD_SUMMARY = `id title link createdAt lastActivityAt replyCount viewCount likeCount pinned locked solved deleted
  moderationState excerpt unreadCount lastReadPostNumber firstUnreadPostNumber
  category { id name slug link } tags { id name } author { id handle displayName } lastPoster { handle displayName }`;
const POST_FIELDS = `id number link body bodyHtml quote createdAt editedAt revisionCount likeCount likedByViewer bookmarked
  isAcceptedAnswer deleted moderationState canEdit ${POST_MODERATION_FIELDS}
  author { id handle displayName } replyTo { id number link author { handle displayName } }`;

const LEVELS = [
  ['WATCHING', 'Watching: every new post'],
  ['NORMAL', 'Normal: only mentions and replies to me'],
  ['MUTED', 'Muted: nothing, and hidden from lists'],
];

export function threadPath(id) {
  return `/t/${id}`;
}

// ---- shared pieces ---------------------------------------------------------------------

function threadBadges(t) {
  return [
    t.pinned ? badge('Pinned', 'info') : null,
    t.locked ? badge('Locked') : null,
    t.solved ? badge('Solved', 'success') : null,
    t.moderationState === 'HELD' ? badge('Waiting for a moderator', 'warn') : null,
    t.moderationState === 'HIDDEN' ? badge('Hidden by moderators', 'danger') : null,
    t.deleted ? badge('Deleted', 'danger') : null,
  ];
}

function threadItem(t) {
  const unread = t.lastReadPostNumber != null && t.unreadCount > 0;
  const href = unread && t.firstUnreadPostNumber ? `${threadPath(t.id)}?from=${t.firstUnreadPostNumber}` : threadPath(t.id);
  return h(
    'li',
    { class: ['thread-item', unread && 'has-unread'] },
    h(
      'div',
      { class: 'thread-main' },
      h('div', { class: 'row' }, h('a', { class: 'list-title', href }, t.title), ...threadBadges(t), unread ? badge(`${t.unreadCount} new`, 'info') : null, t.lastReadPostNumber == null ? badge('New', 'info') : null),
      h(
        'p',
        { class: 'meta' },
        t.category ? [h('a', { href: t.category.link || `/c/${t.category.slug}` }, t.category.name), ' · '] : '',
        t.author ? `${t.author.displayName} · ` : '',
        'active ',
        time(t.lastActivityAt),
        t.lastPoster ? ` by ${t.lastPoster.displayName}` : '',
      ),
      t.tags.length ? h('ul', { class: 'tag-list', 'aria-label': 'Tags' }, t.tags.map((tag) => h('li', {}, h('a', { class: 'tag', href: `/tags/${encodeURIComponent(tag.name)}` }, tag.name)))) : null,
    ),
    h(
      'dl',
      { class: 'thread-stats' },
      h('div', {}, h('dt', {}, 'Replies'), h('dd', {}, String(t.replyCount))),
      h('div', {}, h('dt', {}, 'Likes'), h('dd', {}, String(t.likeCount))),
      h('div', {}, h('dt', {}, 'Views'), h('dd', {}, String(t.viewCount))),
    ),
  );
}

/** A select that saves the viewer's subscription level when changed. */
function subscriptionControl(target, id, level, labelText) {
  const wrapper = field({ label: labelText, name: 'subscription', type: 'select', value: level, options: LEVELS.map(([value, text]) => ({ value, label: text })) });
  const select = wrapper.querySelector('select');
  select.addEventListener('change', async () => {
    select.disabled = true;
    try {
      await gql('mutation Subscribe($target: SubscriptionTarget!, $id: ID!, $level: SubscriptionLevel!) { setForumSubscription(target: $target, id: $id, level: $level) { level } }', {
        target,
        id,
        level: select.value,
      });
      flash(`Notifications set to ${select.options[select.selectedIndex].text.split(':')[0].toLowerCase()}.`, 'success');
    } catch (err) {
      flash(err.message, 'error');
    } finally {
      select.disabled = false;
    }
  });
  wrapper.classList.add('subscription');
  return wrapper;
}

const LIST_QUERY = `query Threads($list: ThreadList!, $period: TopPeriod!, $categorySlug: String, $tag: String, $first: Int, $after: String) {
  threads(list: $list, period: $period, categorySlug: $categorySlug, tag: $tag, first: $first, after: $after) {
    pageInfo { hasNextPage endCursor } nodes { ${THREAD_SUMMARY} }
  }
}`;

/** Tabs and the thread list for home, category and tag pages. */
async function threadList(container, { basePath, query, categorySlug = null, tag = null }) {
  const list = ['latest', 'unread', 'top'].includes(query.get('list')) ? query.get('list') : 'latest';
  const period = ['DAY', 'WEEK', 'MONTH', 'QUARTER', 'YEAR', 'ALL'].includes(query.get('period')) ? query.get('period') : 'MONTH';
  const sep = basePath.includes('?') ? '&' : '?';
  put(container, 
    tabLinks(
      'Thread lists',
      [
        { key: 'latest', href: basePath, label: 'Latest' },
        { key: 'unread', href: `${basePath}${sep}list=unread`, label: 'Unread' },
        { key: 'top', href: `${basePath}${sep}list=top`, label: 'Top' },
      ],
      list,
    ),
  );
  if (list === 'top') {
    const periods = [
      ['DAY', 'Today'],
      ['WEEK', 'This week'],
      ['MONTH', 'This month'],
      ['QUARTER', 'This quarter'],
      ['YEAR', 'This year'],
      ['ALL', 'All time'],
    ];
    put(container, 
      h(
        'nav',
        { class: 'period-nav', 'aria-label': 'Period' },
        h('ul', { class: 'inline-list' }, periods.map(([key, text]) => h('li', {}, h('a', { href: `${basePath}${sep}list=top&period=${key}`, 'aria-current': key === period ? 'page' : null }, text)))),
      ),
    );
  }
  const body = h('div', {}, loading('Loading threads…'));
  put(container, body);
  const vars = { list: list.toUpperCase(), period, categorySlug, tag, first: PAGE, after: null };
  try {
    const conn = (await gql(LIST_QUERY, vars)).threads;
    if (!conn.nodes.length) {
      const text = {
        latest: 'No threads here yet. Start the first one.',
        unread: 'Nothing unread: you are all caught up on threads you have read.',
        top: 'No threads in this period.',
      }[list];
      replace(body, empty(text));
      return;
    }
    const ul = h('ul', { class: 'list thread-list', 'aria-label': 'Threads' }, conn.nodes.map(threadItem));
    replace(body, ul, loadMore(ul, conn.pageInfo, async (after) => (await gql(LIST_QUERY, { ...vars, after })).threads, threadItem));
  } catch (err) {
    replace(body, errorBox(err));
  }
}

function categoryList(categories) {
  if (!categories.length) return empty('No categories yet.');
  return h(
    'ul',
    { class: 'category-list' },
    categories.map((c) =>
      h(
        'li',
        {},
        h('a', { href: c.link || `/c/${c.slug}`, class: 'category-name' }, c.name),
        c.viewerSubscription === 'WATCHING' ? [' ', badge('Watching', 'info')] : null,
        c.viewerSubscription === 'MUTED' ? [' ', badge('Muted')] : null,
        c.description ? h('p', { class: 'meta' }, c.description) : null,
      ),
    ),
  );
}

// ---- home, category, tag ---------------------------------------------------------------------

export async function forumHome({ view, query }) {
  setTitle('Forum');
  const data = await gql('query Categories { forumCategories { id name slug description link canPost viewerSubscription } }');
  const main = h('div', {});
  put(view, 
    pageHeader(
      'Community forum',
      h(
        'div',
        { class: 'header-actions' },
        h('a', { class: 'btn', href: '/bookmarks' }, 'Bookmarks'),
        session.isAdmin || session.isModerator ? h('a', { class: 'btn btn-secondary', href: '/forum/manage' }, 'Forum set-up') : null,
        data.forumCategories.some((c) => c.canPost) ? h('a', { class: 'btn btn-primary', href: '/new-thread' }, 'New thread') : null,
      ),
    ),
    session.verified ? null : h('p', { class: 'state state-warn' }, 'Confirm your email address to post: use the link we emailed you. ', h('a', { href: '/profile' }, 'Resend it from your profile.')),
    h('div', { class: 'grid-2' }, main, h('aside', { class: 'sidebar', 'aria-labelledby': 'cats-h' }, h('section', { class: 'card' }, h('h2', { id: 'cats-h' }, 'Categories'), categoryList(data.forumCategories)))),
  );
  await threadList(main, { basePath: '/', query });
}

export async function categoryPage({ view, params, query }) {
  const data = await gql('query Category($slug: String) { forumCategory(slug: $slug) { id name slug description link canPost requiredRoles viewerSubscription } }', { slug: params.slug });
  const c = data.forumCategory;
  if (!c) {
    setTitle('Category not found');
    put(view, pageHeader('Category not found'), empty('There is no such category.', h('p', {}, h('a', { href: '/' }, 'See all categories'))));
    return;
  }
  setTitle(c.name);
  const main = h('div', {});
  put(view, 
    h('p', { class: 'breadcrumbs' }, h('a', { href: '/' }, '← Forum')),
    pageHeader(c.name, h('div', { class: 'header-actions' }, c.canPost ? h('a', { class: 'btn btn-primary', href: `/new-thread?category=${c.id}` }, 'New thread') : null)),
    c.description ? h('p', { class: 'lead' }, c.description) : null,
    c.requiredRoles.length && !c.canPost ? h('p', { class: 'meta' }, 'Only program staff start threads here.') : null,
    h('div', { class: 'grid-2' }, main, h('aside', { class: 'sidebar' }, h('section', { class: 'card' }, subscriptionControl('CATEGORY', c.id, c.viewerSubscription, 'Notifications for this category')))),
  );
  await threadList(main, { basePath: `/c/${encodeURIComponent(c.slug)}`, query, categorySlug: c.slug });
}

export async function tagPage({ view, params, query }) {
  setTitle(`Tag: ${params.name}`);
  const data = await gql('query Tags { forumTags(includeRetired: true) { id name description retired viewerSubscription } }');
  const tag = data.forumTags.find((t) => t.name === params.name);
  const main = h('div', {});
  put(view, 
    h('p', { class: 'breadcrumbs' }, h('a', { href: '/' }, '← Forum')),
    pageHeader(`Threads tagged ${params.name}`),
    tag?.description ? h('p', { class: 'lead' }, tag.description) : null,
    h('div', { class: 'grid-2' }, main, h('aside', { class: 'sidebar' }, tag ? h('section', { class: 'card' }, subscriptionControl('TAG', tag.id, tag.viewerSubscription, 'Notifications for this tag')) : null)),
  );
  await threadList(main, { basePath: `/tags/${encodeURIComponent(params.name)}`, query, tag: params.name });
}

// ---- drafts -----------------------------------------------------------------------------------

/**
 * Saves a draft a moment after typing stops. `read()` returns
 * { title, body, payload }; the status element says what happened.
 */
function autosave(key, read, initialVersion) {
  let version = initialVersion;
  let timer = null;
  let last = JSON.stringify(read());
  const status = h('p', { class: 'draft-status meta', role: 'status', 'aria-live': 'polite' });
  const save = async () => {
    const current = read();
    const snapshot = JSON.stringify(current);
    if (snapshot === last || !current.body.trim()) return;
    try {
      const saved = await gql('mutation SaveDraft($input: SaveDraftInput!) { saveForumDraft(input: $input) { version updatedAt } }', {
        input: { key, title: current.title ?? null, body: current.body, payload: JSON.stringify(current.payload || {}), version },
      });
      version = saved.saveForumDraft.version;
      last = snapshot;
      status.textContent = `Draft saved at ${new Date(saved.saveForumDraft.updatedAt).toLocaleTimeString()}.`;
    } catch (err) {
      status.textContent = err.code === 'CONFLICT' ? 'This draft was changed in another tab; reload to see it.' : `Draft not saved: ${err.message}`;
    }
  };
  const schedule = () => {
    clearTimeout(timer);
    timer = setTimeout(save, 1500);
  };
  const stop = () => clearTimeout(timer);
  const discard = async () => {
    stop();
    try {
      await gql('mutation DeleteDraft($key: String!) { deleteForumDraft(key: $key) }', { key });
    } catch {
      // Nothing to discard.
    }
    status.textContent = 'Draft discarded.';
  };
  return { status, schedule, stop, discard };
}

async function loadDraft(key) {
  try {
    const d = (await gql('query Draft($key: String!) { forumDraft(key: $key) { key title body payload version updatedAt } }', { key })).forumDraft;
    if (!d) return null;
    let payload = {};
    try {
      payload = JSON.parse(d.payload || '{}');
    } catch {
      payload = {};
    }
    return { ...d, payload };
  } catch {
    return null;
  }
}

// ---- new thread -----------------------------------------------------------------------------------

export async function newThreadPage({ view, query }) {
  setTitle('New thread');
  const [data, draft] = await Promise.all([
    gql('query Composer { forumCategories { id name canPost } forumTags { id name description } }'),
    loadDraft('new_thread'),
  ]);
  const categories = data.forumCategories.filter((c) => c.canPost);
  put(view, pageHeader('Start a new thread'));
  if (!categories.length) {
    put(view, h('p', { class: 'state state-warn' }, session.verified ? 'There is no category you can post in.' : 'Confirm your email address to start posting.'));
    return;
  }
  const chosen = query.get('category') || draft?.payload.categoryId || categories[0].id;
  const body = markdownField({
    label: 'Body',
    name: 'body',
    value: draft?.body || '',
    required: true,
    rows: 10,
    hint: 'Never post participant counts from 1 to 20, or figures they can be derived from.',
  });
  const form = h(
    'form',
    { class: 'card form' },
    field({ label: 'Category', name: 'categoryId', type: 'select', value: chosen, required: true, options: categories.map((c) => ({ value: c.id, label: c.name })) }),
    field({ label: 'Title', name: 'title', value: draft?.title || '', required: true, hint: '5 to 200 characters: the question or topic in a sentence.', attrs: { maxlength: 200 } }),
    body,
    data.forumTags.length ? checkboxGroup({ legend: 'Tags', name: 'tags', hint: 'Up to five.', options: data.forumTags.map((t) => ({ value: t.name, label: t.name })), values: draft?.payload.tags || [] }) : null,
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, 'Post thread'), h('a', { href: '/' }, 'Cancel')),
  );
  const read = () => {
    const tags = [...form.querySelectorAll('input[name=tags]:checked')].map((c) => c.value);
    return {
      title: form.querySelector('[name=title]').value,
      body: body.textarea.value,
      payload: { categoryId: form.querySelector('[name=categoryId]').value, tags },
    };
  };
  const drafts = autosave('new_thread', read, draft?.version ?? null);
  form.addEventListener('input', drafts.schedule);
  form.addEventListener('change', drafts.schedule);
  if (draft) {
    put(form, 
      h(
        'p',
        { class: 'meta' },
        `Restored your draft from ${formatDateTime(draft.updatedAt)}. `,
        h(
          'button',
          {
            type: 'button',
            class: 'link-button',
            onclick: async () => {
              if (!confirmAction('Discard this draft?')) return;
              await drafts.discard();
              navigate('/new-thread', { replace: true });
            },
          },
          'Discard draft',
        ),
      ),
    );
  }
  put(form, drafts.status);
  onSubmit(form, async (v) => {
    if ((v.tags || []).length > 5) {
      setFieldError(form, 'tags', 'Choose at most five tags.');
      return;
    }
    drafts.stop();
    const created = (
      await gql(`mutation CreateThread($input: CreateThreadInput!) { createThread(input: $input) { id moderationState } }`, {
        input: { categoryId: v.categoryId, title: v.title.trim(), body: v.body, tags: v.tags || [] },
      })
    ).createThread;
    if (created.moderationState === 'HELD') flash('Your thread is waiting for a moderator before others can see it.', 'info');
    navigate(threadPath(created.id));
  }, { busyText: 'Posting…' });
  put(view, form);
}

// ---- a thread -----------------------------------------------------------------------------------------

const THREAD_QUERY = `query Thread($id: ID!, $first: Int, $fromNumber: Int) {
  thread(id: $id) {
    ${THREAD_SUMMARY} editedAt canReply canEdit viewerSubscription
    acceptedAnswer { id number link author { displayName } }
    posts(first: $first, fromNumber: $fromNumber) { pageInfo { hasNextPage endCursor hasPreviousPage startCursor } nodes { ${POST_FIELDS} } }
  }
}`;
const MORE_POSTS = `query MorePosts($id: ID!, $first: Int, $after: String, $last: Int, $before: String) {
  thread(id: $id) { posts(first: $first, after: $after, last: $last, before: $before) { pageInfo { hasNextPage endCursor hasPreviousPage startCursor } nodes { ${POST_FIELDS} } } }
}`;

/** The text to quote: the reader's selection inside the post, else its source. */
function quoteText(article, post) {
  const selection = window.getSelection?.();
  const selected = selection && !selection.isCollapsed && article.contains(selection.anchorNode) ? selection.toString().trim() : '';
  const text = selected || post.body || article.querySelector('.prose')?.textContent || '';
  return text.trim().slice(0, QUOTE_MAX);
}

function postArticle(post, ctx) {
  const { thread } = ctx;
  const article = h('article', {
    class: ['post', post.isAcceptedAnswer && 'is-answer', post.deleted && 'is-deleted'],
    id: `p${post.id}`,
    'aria-labelledby': `p${post.id}-h`,
    tabindex: '-1',
  });
  const isThreadAuthor = thread.author && session.user && thread.author.id === session.user.id;
  const canAccept = (isThreadAuthor || session.isModerator) && post.number > 1 && !post.deleted;

  const likeButton = h(
    'button',
    {
      type: 'button',
      class: 'btn btn-small btn-secondary',
      'aria-pressed': post.likedByViewer ? 'true' : 'false',
      disabled: post.deleted || (post.author && session.user && post.author.id === session.user.id) ? true : null,
      title: post.author && session.user && post.author.id === session.user.id ? 'You cannot like your own post' : null,
    },
    `${post.likedByViewer ? 'Liked' : 'Like'} · ${post.likeCount}`,
  );
  likeButton.addEventListener('click', async () => {
    likeButton.disabled = true;
    try {
      const m = post.likedByViewer ? 'mutation Unlike($id: ID!) { unlikePost(id: $id) { likeCount likedByViewer } }' : 'mutation Like($id: ID!) { likePost(id: $id) { likeCount likedByViewer } }';
      const data = await gql(m, { id: post.id });
      const p = data.likePost || data.unlikePost;
      post.likeCount = p.likeCount;
      post.likedByViewer = p.likedByViewer;
      likeButton.textContent = `${post.likedByViewer ? 'Liked' : 'Like'} · ${post.likeCount}`;
      likeButton.setAttribute('aria-pressed', post.likedByViewer ? 'true' : 'false');
    } catch (err) {
      flash(err.message, 'error');
    } finally {
      likeButton.disabled = false;
    }
  });

  const bookmarkButton = h('button', { type: 'button', class: 'btn btn-small btn-secondary', 'aria-pressed': post.bookmarked ? 'true' : 'false' }, post.bookmarked ? 'Bookmarked' : 'Bookmark');
  bookmarkButton.addEventListener('click', async () => {
    bookmarkButton.disabled = true;
    try {
      const m = post.bookmarked ? 'mutation Unbookmark($id: ID!) { removeBookmark(id: $id) { bookmarked } }' : 'mutation Bookmark($id: ID!) { bookmarkPost(id: $id) { bookmarked } }';
      const data = await gql(m, { id: post.id });
      post.bookmarked = (data.bookmarkPost || data.removeBookmark).bookmarked;
      bookmarkButton.textContent = post.bookmarked ? 'Bookmarked' : 'Bookmark';
      bookmarkButton.setAttribute('aria-pressed', post.bookmarked ? 'true' : 'false');
    } catch (err) {
      flash(err.message, 'error');
    } finally {
      bookmarkButton.disabled = false;
    }
  });

  const run = async (mutation, vars, message) => {
    try {
      await gql(mutation, vars);
      if (message) flash(message, 'success');
      ctx.reload(post.id);
    } catch (err) {
      flash(err.message, 'error');
    }
  };

  const actions = h(
    'div',
    { class: 'post-actions', role: 'group', 'aria-label': `Actions for post ${post.number}` },
    likeButton,
    thread.canReply && !post.deleted ? h('button', { type: 'button', class: 'btn btn-small btn-secondary', onclick: () => ctx.replyTo(post, null) }, 'Reply') : null,
    thread.canReply && !post.deleted ? h('button', { type: 'button', class: 'btn btn-small btn-secondary', onclick: () => ctx.replyTo(post, quoteText(article, post)) }, 'Quote') : null,
    bookmarkButton,
    canAccept && !post.isAcceptedAnswer ? h('button', { type: 'button', class: 'btn btn-small', onclick: () => run('mutation Accept($postId: ID!) { acceptAnswer(postId: $postId) { id solved } }', { postId: post.id }, 'Marked as the accepted answer.') }, 'Accept answer') : null,
    canAccept && post.isAcceptedAnswer ? h('button', { type: 'button', class: 'btn btn-small btn-secondary', onclick: () => run('mutation Unaccept($threadId: ID!) { unacceptAnswer(threadId: $threadId) { id solved } }', { threadId: thread.id }, 'No longer the accepted answer.') }, 'Unaccept answer') : null,
    post.canEdit && !post.deleted ? h('button', { type: 'button', class: 'btn btn-small btn-secondary', onclick: () => editInPlace() }, 'Edit') : null,
    post.canEdit && !post.deleted
      ? h(
          'button',
          {
            type: 'button',
            class: 'btn btn-small btn-danger',
            onclick: () => confirmAction(post.number === 1 ? 'Delete this post? It opens the thread, so the whole thread goes.' : 'Delete this post?') && run('mutation DeletePost($id: ID!) { deletePost(id: $id) { id } }', { id: post.id }, 'Deleted.'),
          },
          'Delete',
        )
      : null,
    post.deleted && (session.isModerator || (post.author && session.user && post.author.id === session.user.id))
      ? h('button', { type: 'button', class: 'btn btn-small', onclick: () => run('mutation RestorePost($id: ID!) { restorePost(id: $id) { id } }', { id: post.id }, 'Restored.') }, 'Restore')
      : null,
    // Members flag others' posts; moderators hide or publish in place.
    session.user && !post.deleted && post.author?.id !== session.user.id ? flagControl(post, () => ctx.reload(post.id)) : null,
    post.deleted ? null : postModeratorTools(post, () => ctx.reload(post.id)),
  );

  const body = h('div', { class: 'post-body' });
  const drawBody = () => {
    replace(body, 
      post.quote
        ? h(
            'blockquote',
            { class: 'post-quote' },
            post.replyTo ? h('p', { class: 'meta' }, h('a', { href: post.replyTo.link }, `${post.replyTo.author?.displayName || 'Someone'} wrote:`)) : null,
            h('p', {}, post.quote),
          )
        : post.replyTo
          ? h('p', { class: 'meta' }, 'In reply to ', h('a', { href: post.replyTo.link }, `#${post.replyTo.number} by ${post.replyTo.author?.displayName || 'someone'}`))
          : null,
      post.deleted && !post.bodyHtml ? h('p', { class: 'meta' }, 'This post was deleted.') : serverHtml(post.bodyHtml || ''),
    );
  };
  drawBody();

  const editInPlace = () => {
    const editor = markdownField({ label: `Edit post ${post.number}`, name: 'body', value: post.body || '', required: true, rows: 8 });
    const form = h(
      'form',
      { class: 'form post-edit' },
      editor,
      field({ label: 'Reason for the edit', name: 'reason', hint: 'Optional; shown in the post’s history.' }),
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, 'Save edit'), h('button', { type: 'button', class: 'btn btn-secondary', onclick: () => drawBody() }, 'Cancel')),
    );
    onSubmit(form, async (v) => {
      await gql('mutation EditPost($input: EditPostInput!) { editPost(input: $input) { id } }', { input: { postId: post.id, body: v.body, reason: orNull(v.reason) } });
      flash('Post updated.', 'success');
      ctx.reload(post.id);
    });
    replace(body, form);
    editor.textarea.focus();
  };

  let history = null;
  if (post.revisionCount > 0) {
    history = h('details', { class: 'post-history' }, h('summary', {}, `Edited ${plural(post.revisionCount, 'time')}`));
    history.addEventListener(
      'toggle',
      async function load() {
        if (!history.open || history.dataset.loaded) return;
        history.dataset.loaded = '1';
        const box = h('div', {}, loading('Loading the history…'));
        put(history, box);
        const reload = () => {
          delete history.dataset.loaded;
          box.remove();
          load();
        };
        try {
          const p = (await gql('query Revisions($id: ID!) { post(id: $id) { revisions { number editor { displayName } createdAt previousBody previousTitle reason withheld redacted } } }', { id: post.id })).post;
          replace(box, 
            h(
              'ol',
              { class: 'revisions' },
              (p?.revisions || []).map((r) =>
                h(
                  'li',
                  {},
                  h('p', { class: 'meta' }, `Edit ${r.number}`, r.editor ? ` by ${r.editor.displayName}` : '', ', ', time(r.createdAt), r.reason ? `: ${r.reason}` : ''),
                  r.withheld ? h('p', { class: 'meta' }, 'Held for review: only the author and moderators see this version.') : null,
                  r.redacted
                    ? h('p', { class: 'meta' }, 'Redacted by a moderator.')
                    : [r.previousTitle ? h('p', {}, `Title before: ${r.previousTitle}`) : null, h('pre', { class: 'revision-source' }, r.previousBody)],
                  revisionRedactTool(post, r, reload),
                ),
              ),
            ),
          );
        } catch (err) {
          replace(box, errorBox(err));
        }
      },
    );
  }

  put(article, 
    h(
      'header',
      { class: 'post-header' },
      h(
        'h2',
        { id: `p${post.id}-h`, class: 'post-author' },
        post.author ? h('a', { href: `/u/${post.author.handle}` }, post.author.displayName) : 'A former member',
        h('span', { class: 'visually-hidden' }, post.number === 1 ? ' wrote' : ` replied (post ${post.number})`),
      ),
      h(
        'p',
        { class: 'meta' },
        post.author ? `@${post.author.handle} · ` : '',
        h('a', { href: post.number === 1 ? threadPath(thread.id) : `${threadPath(thread.id)}#p${post.id}`, class: 'post-permalink', 'aria-label': `Link to post ${post.number}` }, `#${post.number}`),
        ' · ',
        time(post.createdAt),
        post.editedAt ? [' · edited ', time(post.editedAt)] : '',
      ),
      h(
        'div',
        { class: 'badges' },
        post.isAcceptedAnswer ? badge('Accepted answer', 'success') : null,
        post.moderationState === 'HELD' ? badge('Waiting for a moderator', 'warn') : null,
        post.moderationState === 'HIDDEN' ? badge('Hidden by moderators', 'danger') : null,
        post.deleted ? badge('Deleted', 'danger') : null,
      ),
    ),
    moderationNotice(post),
    body,
    history,
    actions,
  );
  return article;
}

function threadEditor(t, categories, tags) {
  const form = h(
    'form',
    { class: 'form' },
    field({ label: 'Title', name: 'title', value: t.title, required: true, attrs: { maxlength: 200 } }),
    field({ label: 'Category', name: 'categoryId', type: 'select', value: t.category?.id || '', options: categories.map((c) => ({ value: c.id, label: c.name })) }),
    tags.length ? checkboxGroup({ legend: 'Tags', name: 'tags', options: tags.map((tag) => ({ value: tag.name, label: tag.name })), values: t.tags.map((tag) => tag.name) }) : null,
    field({ label: 'Reason for the change', name: 'reason' }),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, 'Save thread')),
  );
  onSubmit(form, async (v) => {
    await gql('mutation UpdateThread($input: UpdateThreadInput!) { updateThread(input: $input) { id } }', {
      input: { threadId: t.id, title: v.title.trim(), categoryId: v.categoryId, tags: v.tags || [], reason: orNull(v.reason) },
    });
    flash('Thread updated.', 'success');
    navigate(threadPath(t.id), { replace: true });
  });
  return form;
}

function replyComposer(t, draft, onPosted) {
  const state = { replyTo: draft?.payload.replyTo || null, quote: draft?.payload.quote || null };
  const editor = markdownField({ label: 'Your reply', name: 'body', value: draft?.body || '', required: true, rows: 6 });
  const target = h('div', { class: 'reply-target', hidden: true });
  const drawTarget = () => {
    if (!state.replyTo) {
      target.hidden = true;
      replace(target);
      return;
    }
    target.hidden = false;
    replace(target, 
      h(
        'p',
        { class: 'meta' },
        `Replying to #${state.replyTo.number}${state.replyTo.author ? ` by ${state.replyTo.author}` : ''}${state.quote ? ', quoting:' : ''} `,
        h(
          'button',
          {
            type: 'button',
            class: 'link-button',
            onclick: () => {
              state.replyTo = null;
              state.quote = null;
              drawTarget();
              drafts.schedule();
            },
          },
          'Cancel reply-to',
        ),
      ),
      state.quote ? h('blockquote', { class: 'post-quote' }, h('p', {}, state.quote)) : null,
    );
  };
  const form = h('form', { class: 'card form reply-form', 'aria-labelledby': 'reply-h' }, h('h2', { id: 'reply-h' }, 'Reply'), target, editor);
  const read = () => ({ title: null, body: editor.textarea.value, payload: { replyTo: state.replyTo, quote: state.quote } });
  const drafts = autosave(`reply:${t.id}`, read, draft?.version ?? null);
  editor.textarea.addEventListener('input', drafts.schedule);
  put(form, 
    drafts.status,
    draft ? h('p', { class: 'meta' }, `Restored your draft from ${formatDateTime(draft.updatedAt)}.`) : null,
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, 'Post reply')),
  );
  drawTarget();
  onSubmit(form, async (v, f) => {
    drafts.stop();
    const post = (
      await gql('mutation CreatePost($input: CreatePostInput!) { createPost(input: $input) { id number moderationState } }', {
        input: { threadId: t.id, body: v.body, replyToPostId: state.replyTo?.id || null, quote: state.quote || null },
      })
    ).createPost;
    f.reset();
    clearErrors(f);
    if (post.moderationState === 'HELD') flash('Your reply is waiting for a moderator before others can see it.', 'info');
    onPosted(post);
  }, { busyText: 'Posting…' });
  return {
    form,
    replyTo(post, quote) {
      state.replyTo = { id: post.id, number: post.number, author: post.author?.displayName || null };
      state.quote = quote || null;
      drawTarget();
      editor.showWrite();
      editor.textarea.focus();
      drafts.schedule();
    },
  };
}

export async function threadPage({ view, params, query, hash }) {
  let fromNumber = Number(query.get('from')) || null;
  // A link to #p45 opens the page of posts that holds post 45.
  const target = /^p(\d+)$/.exec(hash || '');
  let data = await gql(THREAD_QUERY, { id: params.id, first: POSTS_PAGE, fromNumber });
  let t = data.thread;
  if (t && target && !t.posts.nodes.some((p) => p.id === target[1])) {
    const p = (await gql('query PostNumber($id: ID!) { post(id: $id) { number } }', { id: target[1] })).post;
    if (p) {
      fromNumber = Math.max(1, p.number - 5);
      data = await gql(THREAD_QUERY, { id: params.id, first: POSTS_PAGE, fromNumber });
      t = data.thread;
    }
  }
  if (!t) {
    setTitle('Thread not found');
    put(view, pageHeader('Thread not found'), empty('This thread does not exist, was removed, or is not visible to you.', h('p', {}, h('a', { href: '/' }, 'Back to the forum'))));
    return;
  }
  setTitle(t.title);
  const needsEditData = t.canEdit;
  const [draft, editData] = await Promise.all([
    t.canReply ? loadDraft(`reply:${t.id}`) : null,
    needsEditData ? gql('query ThreadEditData { forumCategories { id name canPost } forumTags { id name } }').catch(() => null) : null,
  ]);

  const postsList = h('div', { class: 'posts' });
  const ctx = {
    thread: t,
    reload: (postId) => navigate(`${threadPath(t.id)}${fromNumber ? `?from=${fromNumber}` : ''}${postId ? `#p${postId}` : ''}`, { replace: true }),
    replyTo: (post, quote) => composer?.replyTo(post, quote),
  };
  const composer = t.canReply
    ? replyComposer(t, draft, (post) => navigate(`${threadPath(t.id)}?from=${Math.max(1, post.number - POSTS_PAGE + 1)}#p${post.id}`, { replace: true }))
    : null;

  let first = t.posts.pageInfo;
  let last = t.posts.pageInfo;
  put(postsList, ...t.posts.nodes.map((p) => postArticle(p, ctx)));
  const earlier = h('button', { type: 'button', class: 'btn btn-secondary' }, 'Show earlier posts');
  const earlierWrap = h('div', { class: 'load-more', hidden: !first.hasPreviousPage }, earlier);
  earlier.addEventListener('click', async () => {
    earlier.disabled = true;
    try {
      const conn = (await gql(MORE_POSTS, { id: t.id, last: POSTS_PAGE, before: first.startCursor })).thread.posts;
      postsList.prepend(...conn.nodes.map((p) => postArticle(p, ctx)));
      first = conn.pageInfo;
      earlierWrap.hidden = !first.hasPreviousPage;
    } catch (err) {
      flash(err.message, 'error');
    } finally {
      earlier.disabled = false;
    }
  });
  const later = h('button', { type: 'button', class: 'btn btn-secondary' }, 'Show more posts');
  const laterWrap = h('div', { class: 'load-more', hidden: !last.hasNextPage }, later);
  later.addEventListener('click', async () => {
    later.disabled = true;
    try {
      const conn = (await gql(MORE_POSTS, { id: t.id, first: POSTS_PAGE, after: last.endCursor })).thread.posts;
      put(postsList, ...conn.nodes.map((p) => postArticle(p, ctx)));
      last = conn.pageInfo;
      laterWrap.hidden = !last.hasNextPage;
      markRead(t.id, conn.nodes.at(-1)?.number);
    } catch (err) {
      flash(err.message, 'error');
    } finally {
      later.disabled = false;
    }
  });

  const editPanel =
    t.canEdit && editData
      ? h(
          'details',
          { class: 'card thread-edit' },
          h('summary', {}, 'Edit thread (title, category, tags)'),
          threadEditor(t, editData.forumCategories, editData.forumTags),
          h(
            'p',
            {},
            h(
              'button',
              {
                type: 'button',
                class: 'btn btn-danger',
                onclick: async () => {
                  if (!confirmAction('Delete this whole thread?')) return;
                  try {
                    await gql('mutation DeleteThread($id: ID!) { deleteThread(id: $id) { id } }', { id: t.id });
                    flash('Thread deleted.', 'success');
                    navigate(t.category ? `/c/${t.category.slug}` : '/');
                  } catch (err) {
                    flash(err.message, 'error');
                  }
                },
              },
              'Delete thread',
            ),
          ),
        )
      : null;

  put(view, 
    h('p', { class: 'breadcrumbs' }, h('a', { href: '/' }, 'Forum'), t.category ? [' › ', h('a', { href: t.category.link || `/c/${t.category.slug}` }, t.category.name)] : ''),
    pageHeader(t.title),
    h(
      'div',
      { class: 'thread-meta' },
      h('div', { class: 'badges' }, ...threadBadges(t)),
      t.tags.length ? h('ul', { class: 'tag-list', 'aria-label': 'Tags' }, t.tags.map((tag) => h('li', {}, h('a', { class: 'tag', href: `/tags/${encodeURIComponent(tag.name)}` }, tag.name)))) : null,
      h('p', { class: 'meta' }, `${plural(t.replyCount, 'reply', 'replies')} · ${plural(t.likeCount, 'like')} · ${plural(t.viewCount, 'view')}`),
    ),
    h(
      'div',
      { class: 'grid-2' },
      h(
        'div',
        {},
        t.acceptedAnswer && !t.posts.nodes.some((p) => p.isAcceptedAnswer)
          ? h('p', { class: 'state state-success' }, 'Solved: ', h('a', { href: t.acceptedAnswer.link }, `see the accepted answer by ${t.acceptedAnswer.author?.displayName || 'a member'}`))
          : null,
        earlierWrap,
        postsList,
        laterWrap,
        composer ? composer.form : h('p', { class: 'state state-empty' }, t.locked ? 'This thread is locked: no new replies.' : session.verified ? 'You cannot reply in this thread.' : 'Confirm your email address to reply.'),
      ),
      h(
        'aside',
        { class: 'sidebar stack', 'aria-label': 'Thread tools' },
        h('section', { class: 'card' }, subscriptionControl('THREAD', t.id, t.viewerSubscription, 'Notifications for this thread'), h('p', { class: 'meta' }, 'Started ', time(t.createdAt), t.author ? ` by ${t.author.displayName}` : '')),
        editPanel,
        threadModeratorTools(t, editData?.forumCategories || [], () => ctx.reload()),
      ),
    ),
  );
  markRead(t.id, last === t.posts.pageInfo ? t.posts.nodes.at(-1)?.number : null);
}

function markRead(threadId, postNumber) {
  if (!postNumber) return;
  gql('mutation MarkRead($threadId: ID!, $postNumber: Int) { markThreadRead(threadId: $threadId, postNumber: $postNumber) { id } }', { threadId, postNumber }).catch(() => {});
}

// ---- bookmarks ---------------------------------------------------------------------------------------

const BOOKMARKS = `query Bookmarks($first: Int, $after: String) {
  forumBookmarks(first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes { createdAt post { id number link body author { displayName } thread { id title } } }
  }
}`;

function bookmarkItem(b) {
  if (!b.post) return h('li', {}, h('p', { class: 'meta' }, 'A post you bookmarked is no longer visible.'));
  const excerpt = (b.post.body || '').replace(/\s+/g, ' ').slice(0, 200);
  return h(
    'li',
    {},
    h('a', { class: 'list-title', href: b.post.link }, b.post.thread ? b.post.thread.title : `Post #${b.post.number}`),
    h('p', { class: 'meta' }, `#${b.post.number}`, b.post.author ? ` by ${b.post.author.displayName}` : '', ' · bookmarked ', time(b.createdAt)),
    excerpt ? h('p', { class: 'excerpt' }, excerpt) : null,
  );
}

export async function bookmarksPage({ view }) {
  setTitle('Bookmarks');
  put(view, h('p', { class: 'breadcrumbs' }, h('a', { href: '/' }, '← Forum')), pageHeader('Your bookmarks'));
  const conn = (await gql(BOOKMARKS, { first: PAGE, after: null })).forumBookmarks;
  if (!conn.nodes.length) {
    put(view, empty('No bookmarks yet. Use “Bookmark” on any post to keep it here.'));
    return;
  }
  const list = h('ul', { class: 'list' }, conn.nodes.map(bookmarkItem));
  put(view, list, loadMore(list, conn.pageInfo, async (after) => (await gql(BOOKMARKS, { first: PAGE, after })).forumBookmarks, bookmarkItem));
}
