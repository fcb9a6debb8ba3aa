// Search across threads, community workspaces and researcher profiles, with
// filters and facets. Every filter lives in the URL, so a search is a link.

import { gql } from '../api.js';
import { navigate, setTitle } from '../router.js';
import {
  badge,
  empty,
  errorBox,
  field,
  h,
  loading,
  loadMore,
  pageHeader,
  plural,
  put,
  replace,
  serverHtml,
  time,
} from '../ui.js';

const PAGE = 20;
const KINDS = [
  ['', 'Everything'],
  ['THREAD', 'Forum threads'],
  ['WORKSPACE', 'Community workspaces'],
  ['PROFILE', 'Researchers'],
];

const SEARCH = `query Search($query: String!, $kinds: [SearchKind!], $filters: SearchFiltersInput, $first: Int, $after: String) {
  search(query: $query, kinds: $kinds, filters: $filters, first: $first, after: $after) {
    total
    facets { categories { value count } tags { value count } }
    hits {
      pageInfo { hasNextPage endCursor }
      nodes {
        kind score snippet
        thread { id title link solved replyCount lastActivityAt category { name slug } tags { name } author { displayName } }
        post { id number link author { displayName } }
        workspace { id name tier cdrVersion owner { displayName } }
        profile { user { handle displayName institution } openToCollaborate }
      }
    }
  }
}`;

/** Reads the filters from the address bar. */
function readQuery(query) {
  const kind = KINDS.some(([k]) => k && k === query.get('kind')) ? query.get('kind') : '';
  const solved = query.get('solved');
  const tier = query.get('tier');
  const dayStart = (d) => (d ? new Date(`${d}T00:00:00`).toISOString() : null);
  const dayEnd = (d) => (d ? new Date(`${d}T23:59:59`).toISOString() : null);
  return {
    text: query.get('q') || '',
    kind,
    form: {
      category: query.get('category') || '',
      tags: query.getAll('tag').join(', '),
      solved: solved === 'yes' || solved === 'no' ? solved : '',
      tier: tier === 'REGISTERED' || tier === 'CONTROLLED' ? tier : '',
      from: query.get('from') || '',
      to: query.get('to') || '',
      author: query.get('author') || '',
    },
    filters: {
      category: query.get('category') || null,
      tags: query.getAll('tag').length ? query.getAll('tag') : null,
      solved: solved === 'yes' ? true : solved === 'no' ? false : null,
      tier: tier === 'REGISTERED' || tier === 'CONTROLLED' ? tier : null,
      createdFrom: dayStart(query.get('from')),
      createdTo: dayEnd(query.get('to')),
      authorId: null,
    },
  };
}

function hitItem(hit) {
  const snippet = hit.snippet ? serverHtml(hit.snippet, 'p', 'snippet') : null;
  if (hit.kind === 'THREAD' && hit.thread) {
    const t = hit.thread;
    const href = hit.post && hit.post.number > 1 ? hit.post.link : t.link;
    return h(
      'li',
      { class: 'search-hit' },
      h('div', { class: 'row' }, badge('Thread', 'info'), h('a', { class: 'list-title', href }, t.title), t.solved ? badge('Solved', 'success') : null),
      snippet,
      h(
        'p',
        { class: 'meta' },
        t.category ? `${t.category.name} · ` : '',
        hit.post && hit.post.number > 1 ? `reply #${hit.post.number}${hit.post.author ? ` by ${hit.post.author.displayName}` : ''} · ` : t.author ? `${t.author.displayName} · ` : '',
        plural(t.replyCount, 'reply', 'replies'),
        ' · active ',
        time(t.lastActivityAt),
      ),
    );
  }
  if (hit.kind === 'WORKSPACE' && hit.workspace) {
    const w = hit.workspace;
    return h(
      'li',
      { class: 'search-hit' },
      h('div', { class: 'row' }, badge('Workspace', 'registered'), h('a', { class: 'list-title', href: `/workspaces/${w.id}` }, w.name)),
      snippet,
      h('p', { class: 'meta' }, w.owner ? `${w.owner.displayName} · ` : '', `${w.tier === 'CONTROLLED' ? 'Controlled' : 'Registered'} Tier · CDR ${w.cdrVersion}`),
    );
  }
  if (hit.kind === 'PROFILE' && hit.profile?.user) {
    const u = hit.profile.user;
    return h(
      'li',
      { class: 'search-hit' },
      h('div', { class: 'row' }, badge('Researcher', 'reviewer'), h('a', { class: 'list-title', href: `/u/${u.handle}` }, u.displayName), hit.profile.openToCollaborate ? badge('Open to collaboration', 'success') : null),
      snippet,
      h('p', { class: 'meta' }, `@${u.handle}`, u.institution ? ` · ${u.institution}` : ''),
    );
  }
  return h('li', { class: 'search-hit' }, snippet || h('p', { class: 'meta' }, 'A result you can no longer open.'));
}

/** Facet links narrow the current search by one value. */
function facetList(title, facets, param, query, names = new Map()) {
  if (!facets.length) return null;
  return h(
    'section',
    { class: 'card facets', 'aria-label': title },
    h('h2', {}, title),
    h(
      'ul',
      { class: 'plain-list' },
      facets.map((f) => {
        const params = new URLSearchParams(query);
        if (param === 'tag') {
          if (!params.getAll('tag').includes(f.value)) params.append('tag', f.value);
        } else {
          params.set(param, f.value);
        }
        const active = param === 'tag' ? query.getAll('tag').includes(f.value) : query.get(param) === f.value;
        return h('li', {}, h('a', { href: `/search?${params}`, 'aria-current': active ? 'true' : null }, names.get(f.value) || f.value), h('span', { class: 'meta' }, ` (${f.count})`));
      }),
    ),
  );
}

export async function searchPage({ view, query }) {
  const state = readQuery(query);
  setTitle(state.text ? `Search: ${state.text}` : 'Search');
  const categories = await gql('query SearchCategories { forumCategories { name slug } }').then((d) => d.forumCategories).catch(() => []);
  const form = h(
    'form',
    { class: 'card form search-form', role: 'search', 'aria-label': 'Search the community' },
    h(
      'div',
      { class: 'search-box' },
      field({ label: 'Search', name: 'q', type: 'search', value: state.text, attrs: { autocomplete: 'off', maxlength: 200, placeholder: 'e.g. concept set, Hail, survey weights' } }),
      field({ label: 'Look in', name: 'kind', type: 'select', value: state.kind, options: KINDS.map(([value, label]) => ({ value, label })) }),
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, 'Search')),
    ),
    h(
      'details',
      { open: Object.values(state.form).some(Boolean) ? true : null },
      h('summary', {}, 'Filters'),
      h(
        'div',
        { class: 'filters' },
        field({ label: 'Category', name: 'category', type: 'select', value: state.form.category, options: [{ value: '', label: 'Any category' }, ...categories.map((c) => ({ value: c.slug, label: c.name }))] }),
        field({ label: 'Tags', name: 'tags', value: state.form.tags, hint: 'Comma-separated; all must match.' }),
        field({ label: 'Answered', name: 'solved', type: 'select', value: state.form.solved, options: [{ value: '', label: 'Either' }, { value: 'yes', label: 'Solved' }, { value: 'no', label: 'Unsolved' }] }),
        field({ label: 'Data tier', name: 'tier', type: 'select', value: state.form.tier, options: [{ value: '', label: 'Any' }, { value: 'REGISTERED', label: 'Registered' }, { value: 'CONTROLLED', label: 'Controlled' }] }),
        field({ label: 'Written from', name: 'from', type: 'date', value: state.form.from }),
        field({ label: 'Written until', name: 'to', type: 'date', value: state.form.to }),
        field({ label: 'Author (handle)', name: 'author', value: state.form.author, attrs: { autocomplete: 'off' } }),
      ),
    ),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const params = new URLSearchParams();
    const val = (n) => form.querySelector(`[name=${n}]`).value.trim();
    if (val('q')) params.set('q', val('q'));
    for (const name of ['kind', 'category', 'solved', 'tier', 'from', 'to']) if (val(name)) params.set(name, val(name));
    const author = val('author').replace(/^@/, '');
    if (author) params.set('author', author);
    for (const tag of val('tags').split(',').map((t) => t.trim()).filter(Boolean)) params.append('tag', tag);
    navigate(`/search${params.toString() ? `?${params}` : ''}`);
  });
  const results = h('div', { class: 'search-results', 'aria-live': 'polite' });
  const side = h('aside', { class: 'sidebar stack', 'aria-label': 'Narrow the results' });
  put(view, pageHeader('Search'), form, h('div', { class: 'grid-2' }, results, side));

  const hasFilters = Object.values(state.form).some(Boolean);
  if (!state.text && !hasFilters) {
    put(results, empty('Search forum threads, community workspaces and researchers. Typos are forgiven, and the last word matches as a prefix.'));
    return;
  }
  put(results, loading('Searching…'));
  try {
    if (state.form.author) {
      const found = (await gql('query SearchAuthor($handle: String) { user(handle: $handle) { id } }', { handle: state.form.author })).user;
      if (!found) {
        replace(results, empty(`No member has the handle @${state.form.author}.`));
        return;
      }
      state.filters.authorId = found.id;
    }
    const vars = { query: state.text, kinds: state.kind ? [state.kind] : null, filters: state.filters, first: PAGE, after: null };
    const data = (await gql(SEARCH, vars)).search;
    const conn = data.hits;
    replace(side, ...[facetList('Categories', data.facets.categories, 'category', query, new Map(categories.map((c) => [c.slug, c.name]))), facetList('Tags', data.facets.tags, 'tag', query)].filter(Boolean));
    if (!conn.nodes.length) {
      replace(results, empty(state.text ? `Nothing matches “${state.text}”${hasFilters ? ' with these filters' : ''}.` : 'Nothing matches these filters.', hasFilters ? h('p', {}, h('a', { href: `/search?q=${encodeURIComponent(state.text)}` }, 'Search without filters')) : null));
      return;
    }
    const list = h('ol', { class: 'list search-list', 'aria-label': 'Search results' }, conn.nodes.map(hitItem));
    replace(results, 
      h('p', { class: 'meta', role: 'status' }, `${plural(data.total, 'result')}${state.text ? ` for “${state.text}”` : ''}`),
      list,
      loadMore(list, conn.pageInfo, async (after) => (await gql(SEARCH, { ...vars, after })).search.hits, hitItem),
    );
  } catch (err) {
    replace(results, errorBox(err));
  }
}
