// Community workspaces: browse with filters, your listings, a listing's page,
// the listing form, and publishing with the owner's three confirmations.

import { gql } from '../api.js';
import { markdownField } from '../components/markdown.js';
import { navigate, setTitle } from '../router.js';
import { session } from '../session.js';
import {
  badge,
  checkboxGroup,
  confirmAction,
  empty,
  enumLabel,
  field,
  flash,
  formatDate,
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

const PAGE = 20;

export const PURPOSES = [
  ['DISEASE_FOCUSED', 'Disease-focused research'],
  ['METHODS_DEVELOPMENT', 'Methods development'],
  ['POPULATION_HEALTH', 'Population health'],
  ['SOCIAL_BEHAVIORAL', 'Social and behavioral'],
  ['ANCESTRY', 'Ancestry'],
  ['DRUG_DEVELOPMENT', 'Drug development'],
  ['EDUCATIONAL', 'Educational'],
  ['OTHER', 'Other purpose'],
];
export const DATA_TYPES = [
  ['EHR', 'Electronic health records'],
  ['SURVEY', 'Surveys'],
  ['PHYSICAL_MEASUREMENTS', 'Physical measurements'],
  ['GENOMICS_SHORT_READ', 'Short-read genomics (Controlled Tier)'],
  ['GENOMICS_LONG_READ', 'Long-read genomics (Controlled Tier)'],
  ['WEARABLES', 'Wearables (Fitbit)'],
];
const FEATURED = [
  ['COMMUNITY', 'Community'],
  ['TUTORIAL', 'Tutorials'],
  ['DEMO', 'Demo projects'],
  ['PHENOTYPE_LIBRARY', 'Phenotype library'],
];
const SORTS = [
  ['NEWEST', 'Newest'],
  ['MOST_DUPLICATED', 'Most duplicated'],
  ['FEATURED', 'Featured first'],
];

const label = (pairs, key) => (pairs.find(([k]) => k === key) || [key, enumLabel(key)])[1];
const options = (pairs) => pairs.map(([value, text]) => ({ value, label: text }));

const SUMMARY = `id name namespace tier cdrVersion purposes disease tags dataTypes featuredCategory published publishedAt
  duplicateCount updatedAt owner { id handle displayName }`;
const DETAIL = `${SUMMARY} otherPurpose version createdAt viewerIsOwner viewerCanEdit
  intendedStudy intendedStudyHtml scientificApproach scientificApproachHtml anticipatedFindings anticipatedFindingsHtml
  collaborators { id handle displayName }
  consent { consentedBy { displayName } consentedAt noHarmfulLanguage contactInfoInDescription collaboratorsAgreed workspaceVersion }`;

export function workspacePath(id) {
  return `/workspaces/${id}`;
}

export function tierBadge(tier) {
  return tier === 'CONTROLLED' ? badge('Controlled Tier', 'controlled') : badge('Registered Tier', 'registered');
}

function workspaceCard(w) {
  return h(
    'li',
    { class: 'workspace-item' },
    h(
      'div',
      { class: 'row' },
      h('a', { class: 'list-title', href: workspacePath(w.id) }, w.name),
      tierBadge(w.tier),
      badge(`CDR ${w.cdrVersion}`),
      w.featuredCategory ? badge(`Featured: ${label(FEATURED, w.featuredCategory)}`, 'info') : null,
      w.published ? null : badge('Draft', 'warn'),
    ),
    h(
      'p',
      { class: 'meta' },
      w.owner ? `${w.owner.displayName} · ` : '',
      w.purposes.map((p) => (p === 'DISEASE_FOCUSED' && w.disease ? `Disease: ${w.disease}` : label(PURPOSES, p))).join(' · '),
    ),
    w.tags.length ? h('ul', { class: 'tag-list', 'aria-label': 'Tags' }, w.tags.map((t) => h('li', {}, h('a', { href: `/workspaces?tag=${encodeURIComponent(t)}`, class: 'tag' }, t)))) : null,
    h(
      'p',
      { class: 'meta' },
      w.published && w.publishedAt ? ['Published ', time(w.publishedAt)] : ['Updated ', time(w.updatedAt)],
      w.duplicateCount ? ` · duplicated ${w.duplicateCount} times` : '',
    ),
  );
}

function workspaceTabs(current) {
  return tabLinks(
    'Workspace lists',
    [
      { key: 'community', href: '/workspaces', label: 'Community workspaces' },
      { key: 'mine', href: '/workspaces/mine', label: 'Your listings' },
      { key: 'collaborators', href: '/collaborators', label: 'Suggested collaborators' },
      { key: 'requests', href: '/collaborations', label: 'Collaboration requests' },
    ],
    current,
  );
}
export { workspaceTabs };

// ---- browse ---------------------------------------------------------------------------

const BROWSE = `query CommunityWorkspaces($filter: WorkspaceFilter, $sort: WorkspaceSort!, $first: Int, $after: String) {
  communityWorkspaces(filter: $filter, sort: $sort, first: $first, after: $after) { pageInfo { hasNextPage endCursor } nodes { ${SUMMARY} } }
}`;

export async function browsePage({ view, query }) {
  setTitle('Community workspaces');
  const sort = SORTS.some(([k]) => k === query.get('sort')) ? query.get('sort') : 'NEWEST';
  const filter = {
    tier: ['REGISTERED', 'CONTROLLED'].includes(query.get('tier')) ? query.get('tier') : null,
    dataTypes: query.getAll('dataType').filter((d) => DATA_TYPES.some(([k]) => k === d)),
    purposes: query.getAll('purpose').filter((p) => PURPOSES.some(([k]) => k === p)),
    tags: query.getAll('tag').filter(Boolean),
    cdrVersion: orNull(query.get('cdr') || ''),
    featuredCategory: FEATURED.some(([k]) => k === query.get('featured')) ? query.get('featured') : null,
  };
  const form = h(
    'form',
    { class: 'card form', role: 'search', 'aria-label': 'Filter workspaces' },
    h(
      'div',
      { class: 'filters' },
      field({ label: 'Tier', name: 'tier', type: 'select', value: filter.tier || '', options: [{ value: '', label: 'Any tier' }, { value: 'REGISTERED', label: 'Registered Tier' }, { value: 'CONTROLLED', label: 'Controlled Tier' }] }),
      field({ label: 'CDR version', name: 'cdr', value: filter.cdrVersion || '', attrs: { placeholder: 'e.g. v7' } }),
      field({ label: 'Tag', name: 'tag', value: filter.tags[0] || '', attrs: { placeholder: 'e.g. gwas' } }),
      field({ label: 'Featured', name: 'featured', type: 'select', value: filter.featuredCategory || '', options: [{ value: '', label: 'Any' }, ...options(FEATURED)] }),
      field({ label: 'Sort by', name: 'sort', type: 'select', value: sort, options: options(SORTS) }),
    ),
    h(
      'details',
      { open: filter.purposes.length || filter.dataTypes.length ? true : null },
      h('summary', {}, 'Purposes and data types'),
      checkboxGroup({ legend: 'Research purposes (all of)', name: 'purpose', options: options(PURPOSES), values: filter.purposes }),
      checkboxGroup({ legend: 'Data types (all of)', name: 'dataType', options: options(DATA_TYPES), values: filter.dataTypes }),
    ),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, 'Show workspaces'), h('a', { href: '/workspaces' }, 'Clear filters')),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const params = new URLSearchParams();
    const val = (n) => form.querySelector(`[name=${n}]`).value.trim();
    if (val('tier')) params.set('tier', val('tier'));
    if (val('cdr')) params.set('cdr', val('cdr'));
    if (val('tag')) params.set('tag', val('tag'));
    if (val('featured')) params.set('featured', val('featured'));
    if (val('sort') !== 'NEWEST') params.set('sort', val('sort'));
    for (const cb of form.querySelectorAll('input[name=purpose]:checked')) params.append('purpose', cb.value);
    for (const cb of form.querySelectorAll('input[name=dataType]:checked')) params.append('dataType', cb.value);
    const qs = params.toString();
    navigate(`/workspaces${qs ? `?${qs}` : ''}`);
  });
  const body = h('div', {}, loading('Loading workspaces…'));
  put(view, 
    pageHeader('Community workspaces', h('div', { class: 'header-actions' }, h('a', { class: 'btn btn-primary', href: '/workspaces/new' }, 'List a workspace'))),
    workspaceTabs('community'),
    h('p', { class: 'lead' }, 'Workspaces researchers have shared with the community, with their research purpose. Controlled Tier listings are visible only to Controlled Tier researchers.'),
    form,
    body,
  );
  const vars = { filter, sort, first: PAGE, after: null };
  const data = await gql(BROWSE, vars);
  const conn = data.communityWorkspaces;
  if (!conn.nodes.length) {
    replace(body, empty('No community workspaces match these filters.', h('p', {}, h('a', { href: '/workspaces' }, 'Clear the filters'))));
    return;
  }
  const list = h('ul', { class: 'list', 'aria-label': 'Community workspaces' }, conn.nodes.map(workspaceCard));
  replace(body, list, loadMore(list, conn.pageInfo, async (after) => (await gql(BROWSE, { ...vars, after })).communityWorkspaces, workspaceCard));
}

// ---- yours -----------------------------------------------------------------------------------

const MINE = `query MyWorkspaces($first: Int, $after: String) {
  myWorkspaces(first: $first, after: $after) { pageInfo { hasNextPage endCursor } nodes { ${SUMMARY} } }
}`;

/** The viewer's workspaces for pickers elsewhere (exemption and report forms). */
export async function myWorkspaceOptions() {
  const data = await gql(MINE, { first: 50, after: null });
  return data.myWorkspaces.nodes;
}

export async function minePage({ view }) {
  setTitle('Your workspace listings');
  const body = h('div', {}, loading());
  put(view, 
    pageHeader('Your workspace listings', h('div', { class: 'header-actions' }, h('a', { class: 'btn btn-primary', href: '/workspaces/new' }, 'List a workspace'))),
    workspaceTabs('mine'),
    h('p', { class: 'lead' }, 'Listings you own or collaborate on. Drafts are visible only to you and your collaborators until the owner publishes them.'),
    body,
  );
  const data = await gql(MINE, { first: PAGE, after: null });
  const conn = data.myWorkspaces;
  if (!conn.nodes.length) {
    replace(body, empty('You have no workspace listings yet.', h('p', {}, h('a', { class: 'btn btn-primary', href: '/workspaces/new' }, 'List your first workspace'))));
    return;
  }
  const list = h('ul', { class: 'list', 'aria-label': 'Your workspace listings' }, conn.nodes.map(workspaceCard));
  replace(body, list, loadMore(list, conn.pageInfo, async (after) => (await gql(MINE, { first: PAGE, after })).myWorkspaces, workspaceCard));
}

// ---- the form ----------------------------------------------------------------------------------

function workspaceForm(existing) {
  const editing = Boolean(existing);
  const purposes = existing?.purposes || [];
  const form = h(
    'form',
    { class: 'card form' },
    field({ label: 'Name', name: 'name', value: existing?.name || '', required: true, attrs: { maxlength: 200 } }),
    editing
      ? h('p', { class: 'meta' }, `Workbench namespace ${existing.namespace} · ${existing.tier === 'CONTROLLED' ? 'Controlled' : 'Registered'} Tier (fixed)`)
      : [
          field({
            label: 'Workbench namespace',
            name: 'namespace',
            required: true,
            hint: 'As shown in the Workbench, e.g. aou-rw-1234abcd.',
            attrs: { autocomplete: 'off', spellcheck: 'false' },
          }),
          field({
            label: 'Data access tier',
            name: 'tier',
            type: 'select',
            required: true,
            value: session.user?.tier || 'REGISTERED',
            hint: 'Fixed for the life of the listing, as on the Workbench.',
            options: [
              { value: 'REGISTERED', label: 'Registered Tier' },
              { value: 'CONTROLLED', label: 'Controlled Tier' },
            ],
          }),
        ],
    field({ label: 'CDR version', name: 'cdrVersion', value: existing?.cdrVersion || 'v7', required: true, hint: 'The curated data repository release, such as v7.' }),
    markdownField({
      label: 'Intended study',
      name: 'intendedStudy',
      value: existing?.intendedStudy || '',
      required: true,
      hint: 'What you plan to study. Say how people can contact the team.',
    }),
    markdownField({ label: 'Scientific approach', name: 'scientificApproach', value: existing?.scientificApproach || '', rows: 5 }),
    markdownField({ label: 'Anticipated findings', name: 'anticipatedFindings', value: existing?.anticipatedFindings || '', rows: 5 }),
    checkboxGroup({ legend: 'Research purposes', name: 'purposes', options: options(PURPOSES), values: purposes }),
    field({ label: 'Disease studied', name: 'disease', value: existing?.disease || '', hint: 'Required for disease-focused research.' }),
    field({ label: 'Other purpose', name: 'otherPurpose', value: existing?.otherPurpose || '', hint: 'Required when "Other purpose" is ticked.' }),
    checkboxGroup({ legend: 'Data types', name: 'dataTypes', options: options(DATA_TYPES), values: existing?.dataTypes || [] }),
    field({ label: 'Tags', name: 'tags', value: (existing?.tags || []).join(', '), hint: 'Separated by commas, e.g. gwas, type 2 diabetes, hail.' }),
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'submit', class: 'btn btn-primary' }, editing ? 'Save changes' : 'Save as draft'),
      h('a', { href: editing ? workspacePath(existing.id) : '/workspaces/mine' }, 'Cancel'),
    ),
  );
  onSubmit(form, async (v, f) => {
    if (v.purposes.includes('DISEASE_FOCUSED') && !v.disease.trim()) {
      setFieldError(f, 'disease', 'Name the disease for disease-focused research.');
      f.querySelector('[name=disease]').focus();
      return;
    }
    if (v.purposes.includes('OTHER') && !v.otherPurpose.trim()) {
      setFieldError(f, 'otherPurpose', 'Describe the other purpose.');
      f.querySelector('[name=otherPurpose]').focus();
      return;
    }
    const tags = v.tags.split(',').map((t) => t.trim()).filter(Boolean);
    if (editing) {
      const data = await gql('mutation UpdateWorkspace($input: UpdateWorkspaceInput!) { updateWorkspace(input: $input) { id } }', {
        input: {
          id: existing.id,
          expectedVersion: existing.version,
          name: v.name.trim(),
          cdrVersion: v.cdrVersion.trim(),
          intendedStudy: v.intendedStudy,
          scientificApproach: v.scientificApproach,
          anticipatedFindings: v.anticipatedFindings,
          purposes: v.purposes,
          disease: v.disease.trim(),
          otherPurpose: v.otherPurpose.trim(),
          dataTypes: v.dataTypes,
          tags,
        },
      });
      flash('The listing is saved.', 'success');
      navigate(workspacePath(data.updateWorkspace.id));
    } else {
      const data = await gql('mutation CreateWorkspace($input: CreateWorkspaceInput!) { createWorkspace(input: $input) { id } }', {
        input: {
          name: v.name.trim(),
          namespace: v.namespace.trim(),
          tier: v.tier,
          cdrVersion: v.cdrVersion.trim(),
          purpose: {
            intendedStudy: v.intendedStudy,
            scientificApproach: v.scientificApproach,
            anticipatedFindings: v.anticipatedFindings,
            purposes: v.purposes,
            disease: orNull(v.disease),
            otherPurpose: orNull(v.otherPurpose),
          },
          dataTypes: v.dataTypes,
          tags,
        },
      });
      flash('Your listing is saved as a draft. Publish it when it is ready.', 'success');
      navigate(workspacePath(data.createWorkspace.id));
    }
  });
  return form;
}

export function newWorkspacePage({ view }) {
  setTitle('List a workspace');
  put(view, 
    pageHeader('List a workspace'),
    h('p', { class: 'lead' }, 'Describe a Workbench workspace so others can find it. It stays a draft, visible to you and your collaborators, until you publish it.'),
    workspaceForm(null),
  );
}

export async function editWorkspacePage({ view, params }) {
  const data = await gql(`query WorkspaceForEdit($id: ID!) { workspace(id: $id) { ${DETAIL} } }`, { id: params.id });
  const w = data.workspace;
  if (!w) {
    put(view, pageHeader('Workspace not found'), empty('This listing does not exist, or you cannot see it.'));
    return;
  }
  setTitle(`Edit ${w.name}`);
  put(view, pageHeader(`Edit ${w.name}`), w.viewerCanEdit ? workspaceForm(w) : h('p', { class: 'state state-error' }, 'Only the owner and collaborators can edit this listing.'));
}

// ---- the listing page ----------------------------------------------------------------------------

function publishPanel(w, refresh) {
  const form = h(
    'form',
    { class: 'form' },
    h('p', {}, 'Publishing shares the listing with every registered researcher of its tier. Before you publish, confirm that:'),
    field({ label: 'the listing uses no harmful or stigmatizing language', name: 'noHarmfulLanguage', type: 'checkbox', required: true }),
    field({ label: 'the description tells people how to contact the team', name: 'contactInfoInDescription', type: 'checkbox', required: true }),
    field({ label: 'my collaborators agreed to publishing', name: 'collaboratorsAgreed', type: 'checkbox', required: true }),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, 'Publish to the community')),
  );
  onSubmit(form, async (v) => {
    await gql(
      'mutation Publish($id: ID!, $consent: PublishConsentInput!) { publishWorkspace(id: $id, consent: $consent) { id published } }',
      { id: w.id, consent: { noHarmfulLanguage: v.noHarmfulLanguage, contactInfoInDescription: v.contactInfoInDescription, collaboratorsAgreed: v.collaboratorsAgreed } },
    );
    flash('Published. Researchers of the matching tier can now find it.', 'success');
    refresh();
  });
  return h('section', { class: 'card', 'aria-labelledby': 'publish-h' }, h('h2', { id: 'publish-h' }, 'Publish'), form);
}

function ownerTools(w, refresh) {
  const items = [];
  if (w.published) {
    const unpublish = h(
      'form',
      { class: 'form' },
      field({ label: 'Reason for unpublishing', name: 'reason', hint: 'Optional.' }),
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn btn-danger' }, 'Unpublish')),
    );
    onSubmit(unpublish, async (v) => {
      if (!confirmAction('Take this listing back to a draft?')) return;
      await gql('mutation Unpublish($id: ID!, $reason: String) { unpublishWorkspace(id: $id, reason: $reason) { id } }', { id: w.id, reason: orNull(v.reason) });
      flash('The listing is a draft again.', 'success');
      refresh();
    });
    const dup = h(
      'form',
      { class: 'form inline-form' },
      field({ label: 'Times duplicated', name: 'count', type: 'number', value: w.duplicateCount, required: true, attrs: { min: 0 } }),
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn btn-secondary' }, 'Update count')),
    );
    onSubmit(dup, async (v) => {
      await gql('mutation Duplicates($id: ID!, $count: Int!) { reportWorkspaceDuplicates(id: $id, count: $count) { id } }', { id: w.id, count: Number(v.count) });
      flash('Duplicate count updated.', 'success');
      refresh();
    });
    items.push(h('h3', {}, 'Duplicates'), dup, h('h3', {}, 'Unpublish'), unpublish);
  }
  const add = h(
    'form',
    { class: 'form inline-form' },
    field({ label: 'Add a collaborator (handle)', name: 'userId', required: true, hint: 'Without the @.', attrs: { autocomplete: 'off' } }),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn btn-secondary' }, 'Add')),
  );
  onSubmit(add, async (v, f) => {
    const handle = v.userId.trim().replace(/^@/, '');
    const found = await gql('query FindUser($handle: String) { user(handle: $handle) { id handle } }', { handle });
    if (!found.user) {
      setFieldError(f, 'userId', `No member has the handle @${handle}.`);
      return;
    }
    await gql('mutation AddCollaborator($workspaceId: ID!, $userId: ID!) { addWorkspaceCollaborator(workspaceId: $workspaceId, userId: $userId) { id } }', { workspaceId: w.id, userId: found.user.id });
    flash(`@${found.user.handle} is now a collaborator.`, 'success');
    refresh();
  });
  items.push(h('h3', {}, 'Collaborators'), add);
  return h('section', { class: 'card actions-card', 'aria-labelledby': 'owner-h' }, h('h2', { id: 'owner-h' }, 'Owner tools'), ...items);
}

function adminFeature(w, refresh) {
  const form = h(
    'form',
    { class: 'form inline-form' },
    field({ label: 'Featured category', name: 'category', type: 'select', value: w.featuredCategory || '', options: [{ value: '', label: 'Not featured' }, ...options(FEATURED)] }),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn btn-secondary' }, 'Save')),
  );
  onSubmit(form, async (v) => {
    await gql('mutation Feature($id: ID!, $category: FeaturedCategory) { featureWorkspace(id: $id, category: $category) { id } }', { id: w.id, category: orNull(v.category) });
    flash('Saved.', 'success');
    refresh();
  });
  return h('section', { class: 'card', 'aria-labelledby': 'feature-h' }, h('h2', { id: 'feature-h' }, 'Feature (admins)'), form);
}

function collaboratorList(w, refresh) {
  if (!w.collaborators.length) return h('p', { class: 'meta' }, 'No collaborators listed.');
  return h(
    'ul',
    { class: 'plain-list' },
    w.collaborators.map((c) =>
      h(
        'li',
        {},
        h('a', { href: `/u/${c.handle}` }, c.displayName),
        ` @${c.handle} `,
        w.viewerIsOwner || c.id === session.user?.id
          ? h(
              'button',
              {
                type: 'button',
                class: 'link-button',
                onclick: async () => {
                  if (!confirmAction(c.id === session.user?.id ? 'Leave this workspace listing?' : `Remove @${c.handle}?`)) return;
                  try {
                    await gql('mutation RemoveCollaborator($workspaceId: ID!, $userId: ID!) { removeWorkspaceCollaborator(workspaceId: $workspaceId, userId: $userId) { id } }', { workspaceId: w.id, userId: c.id });
                    flash('Removed.', 'success');
                    refresh();
                  } catch (err) {
                    flash(err.message, 'error');
                  }
                },
              },
              c.id === session.user?.id ? 'Leave' : `Remove @${c.handle}`,
            )
          : null,
      ),
    ),
  );
}

const REVISIONS = `query Revisions($id: ID!, $first: Int, $after: String) {
  workspace(id: $id) { revisions(first: $first, after: $after) { pageInfo { hasNextPage endCursor } nodes { id version editor { displayName } replacedAt name cdrVersion } } }
}`;

async function revisionsSection(w) {
  const data = await gql(REVISIONS, { id: w.id, first: 10, after: null });
  const conn = data.workspace?.revisions;
  if (!conn || !conn.nodes.length) return null;
  const item = (r) => h('li', {}, `Version ${r.version} ("${r.name}", CDR ${r.cdrVersion}), replaced `, time(r.replacedAt), r.editor ? ` by ${r.editor.displayName}` : '');
  const list = h('ul', { class: 'plain-list' }, conn.nodes.map(item));
  return h('section', { class: 'card', 'aria-labelledby': 'rev-h' }, h('h2', { id: 'rev-h' }, 'Earlier versions'), list, loadMore(list, conn.pageInfo, async (after) => (await gql(REVISIONS, { id: w.id, first: 10, after })).workspace.revisions, item));
}

export async function workspacePage({ view, params }) {
  const load = async () => (await gql(`query Workspace($id: ID!) { workspace(id: $id) { ${DETAIL} } }`, { id: params.id })).workspace;
  const draw = async (w) => {
    if (!w) {
      setTitle('Workspace not found');
      return [pageHeader('Workspace not found'), empty('This listing does not exist, or you cannot see it: drafts are visible to their team only, and Controlled Tier listings to Controlled Tier researchers.', h('p', {}, h('a', { href: '/workspaces' }, 'Browse community workspaces')))];
    }
    setTitle(w.name);
    const refresh = async () => show(view, await draw(await load()));
    const section = (id, title, html) => (html ? h('section', { class: 'card', 'aria-labelledby': id }, h('h2', { id }, title), serverHtml(html)) : null);
    let revisions = null;
    if (w.viewerCanEdit || session.isAdmin) revisions = await revisionsSection(w).catch(() => null);
    return [
      h('p', { class: 'breadcrumbs' }, h('a', { href: '/workspaces' }, '← Community workspaces')),
      pageHeader(
        w.name,
        h(
          'div',
          { class: 'header-actions' },
          w.viewerCanEdit ? h('a', { class: 'btn', href: `${workspacePath(w.id)}/edit` }, 'Edit listing') : null,
          session.user && w.owner && w.owner.id !== session.user.id ? h('a', { class: 'btn btn-secondary', href: `/collaborators/ask/${w.owner.handle}` }, 'Ask the owner to collaborate') : null,
        ),
      ),
      h(
        'p',
        { class: 'badges' },
        tierBadge(w.tier),
        badge(`CDR ${w.cdrVersion}`),
        w.published ? badge('Published', 'success') : badge('Draft: only the team sees it', 'warn'),
        w.featuredCategory ? badge(`Featured: ${label(FEATURED, w.featuredCategory)}`, 'info') : null,
      ),
      h(
        'div',
        { class: 'grid-2' },
        h(
          'div',
          { class: 'stack' },
          section('study-h', 'Intended study', w.intendedStudyHtml) || h('section', { class: 'card' }, h('h2', {}, 'Intended study'), empty('Not described yet.')),
          section('approach-h', 'Scientific approach', w.scientificApproachHtml),
          section('findings-h', 'Anticipated findings', w.anticipatedFindingsHtml),
          revisions,
        ),
        h(
          'aside',
          { class: 'sidebar stack', 'aria-label': 'Listing details' },
          h(
            'section',
            { class: 'card' },
            h('h2', {}, 'Details'),
            h(
              'dl',
              { class: 'facts facts-stacked' },
              h('dt', {}, 'Owner'),
              h('dd', {}, w.owner ? h('a', { href: `/u/${w.owner.handle}` }, w.owner.displayName) : '—'),
              h('dt', {}, 'Workbench namespace'),
              h('dd', {}, h('code', {}, w.namespace)),
              h('dt', {}, 'Research purposes'),
              h('dd', {}, w.purposes.length ? h('ul', { class: 'plain-list' }, w.purposes.map((p) => h('li', {}, label(PURPOSES, p), p === 'DISEASE_FOCUSED' && w.disease ? `: ${w.disease}` : '', p === 'OTHER' && w.otherPurpose ? `: ${w.otherPurpose}` : ''))) : 'None given'),
              h('dt', {}, 'Data types'),
              h('dd', {}, w.dataTypes.length ? w.dataTypes.map((d) => label(DATA_TYPES, d)).join(', ') : 'None given'),
              h('dt', {}, 'Tags'),
              h('dd', {}, w.tags.length ? h('ul', { class: 'tag-list' }, w.tags.map((t) => h('li', {}, h('a', { class: 'tag', href: `/workspaces?tag=${encodeURIComponent(t)}` }, t)))) : 'None'),
              h('dt', {}, 'Published'),
              h('dd', {}, w.publishedAt ? formatDate(w.publishedAt) : 'Not yet'),
              h('dt', {}, 'Duplicated'),
              h('dd', {}, `${w.duplicateCount} times`),
              h('dt', {}, 'Version'),
              h('dd', {}, String(w.version)),
            ),
            h('h3', {}, 'Collaborators'),
            collaboratorList(w, refresh),
            w.consent
              ? h(
                  'p',
                  { class: 'meta' },
                  `Consent recorded for version ${w.consent.workspaceVersion}`,
                  w.consent.consentedBy ? ` by ${w.consent.consentedBy.displayName}` : '',
                  ` on ${formatDate(w.consent.consentedAt)}.`,
                )
              : null,
          ),
          w.viewerIsOwner && !w.published ? publishPanel(w, refresh) : null,
          w.viewerIsOwner ? ownerTools(w, refresh) : null,
          session.isAdmin && w.published ? adminFeature(w, refresh) : null,
        ),
      ),
    ];
  };
  show(view, await draw(await load()));
}
