// Finding collaborators: the viewer's researcher profile, suggested
// collaborators with the reasons for each match, and collaboration requests
// with their message threads.

import { gql } from '../api.js';
import { navigate, setTitle } from '../router.js';
import { session } from '../session.js';
import { workspaceTabs } from './workspaces.js';
import {
  badge,
  checkboxGroup,
  confirmAction,
  empty,
  enumLabel,
  field,
  flash,
  h,
  loading,
  loadMore,
  onSubmit,
  orNull,
  pageHeader,
  put,
  replace,
  show,
  tabLinks,
  time,
} from '../ui.js';

const PROFILE = `expertise { key label curated } methods { key label curated } seeking { key label curated }
  researchInterests lookingFor openToCollaborate orcid careerStage updatedAt user { id handle displayName institution }`;

function terms(list) {
  return list.length ? h('ul', { class: 'tag-list' }, list.map((t) => h('li', {}, h('span', { class: 'tag' }, t.label)))) : h('span', { class: 'meta' }, 'None listed');
}

function profileFacts(p) {
  return h(
    'dl',
    { class: 'facts' },
    h('dt', {}, 'Research areas'),
    h('dd', {}, terms(p.expertise)),
    h('dt', {}, 'Methods and tools'),
    h('dd', {}, terms(p.methods)),
    h('dt', {}, 'Looking for'),
    h('dd', {}, terms(p.seeking), p.lookingFor ? h('p', {}, p.lookingFor) : null),
    p.researchInterests ? [h('dt', {}, 'Interests'), h('dd', {}, p.researchInterests)] : null,
    p.careerStage ? [h('dt', {}, 'Career stage'), h('dd', {}, enumLabel(p.careerStage))] : null,
    p.orcid ? [h('dt', {}, 'ORCID'), h('dd', {}, h('a', { href: `https://orcid.org/${p.orcid}`, rel: 'noopener noreferrer' }, p.orcid))] : null,
  );
}

// ---- the research profile -------------------------------------------------------------------

/** Curated terms as checkboxes, plus a free-text field for anything else. */
function termPicker(legend, name, vocabulary, current) {
  const curatedKeys = new Set(vocabulary.map((t) => t.key));
  const chosen = current.filter((t) => curatedKeys.has(t.key)).map((t) => t.key);
  const free = current.filter((t) => !curatedKeys.has(t.key)).map((t) => t.label);
  return h(
    'div',
    { class: 'term-picker' },
    checkboxGroup({ legend, name, options: vocabulary.map((t) => ({ value: t.key, label: t.label })), values: chosen }),
    field({ label: `Other ${legend.toLowerCase()}`, name: `${name}Other`, value: free.join(', '), hint: 'Separated by commas.' }),
  );
}

function readTerms(values, name) {
  const other = String(values[`${name}Other`] || '')
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  return [...(values[name] || []), ...other];
}

export async function researchProfilePage({ view }) {
  setTitle('Your research profile');
  const data = await gql(`query MyResearchProfile {
    myProfile { ${PROFILE} }
    profileVocabulary { areas { key label } methods { key label } careerStages }
  }`);
  const p = data.myProfile || { expertise: [], methods: [], seeking: [], researchInterests: '', lookingFor: '', openToCollaborate: false, orcid: null, careerStage: null };
  const vocab = data.profileVocabulary;
  const form = h(
    'form',
    { class: 'card form' },
    field({
      label: 'Open to collaboration requests',
      name: 'openToCollaborate',
      type: 'checkbox',
      value: p.openToCollaborate,
      hint: 'When ticked, you appear in others’ suggestions and they can ask you to collaborate.',
    }),
    termPicker('Research areas', 'expertise', vocab.areas, p.expertise),
    termPicker('Methods and tools', 'methods', vocab.methods, p.methods),
    termPicker('Skills you are looking for', 'seeking', [...vocab.areas, ...vocab.methods], p.seeking),
    field({ label: 'Research interests', name: 'researchInterests', type: 'textarea', rows: 4, value: p.researchInterests }),
    field({ label: 'What you are looking for, in your words', name: 'lookingFor', type: 'textarea', rows: 3, value: p.lookingFor }),
    field({
      label: 'Career stage',
      name: 'careerStage',
      type: 'select',
      value: p.careerStage || '',
      options: [{ value: '', label: 'Not given' }, ...vocab.careerStages.map((s) => ({ value: s, label: enumLabel(s) }))],
    }),
    field({ label: 'ORCID iD', name: 'orcid', value: p.orcid || '', hint: 'Like 0000-0002-1825-0097.', attrs: { autocomplete: 'off' } }),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, 'Save research profile'), h('a', { href: '/collaborators' }, 'See suggested collaborators')),
  );
  onSubmit(form, async (v) => {
    await gql(`mutation UpdateMyProfile($input: ProfileInput!) { updateMyProfile(input: $input) { updatedAt } }`, {
      input: {
        expertise: readTerms(v, 'expertise'),
        methods: readTerms(v, 'methods'),
        seeking: readTerms(v, 'seeking'),
        researchInterests: v.researchInterests,
        lookingFor: v.lookingFor,
        openToCollaborate: v.openToCollaborate,
        orcid: orNull(v.orcid),
        careerStage: orNull(v.careerStage),
      },
    });
    flash('Your research profile is saved.', 'success');
  });
  put(view, 
    pageHeader('Your research profile'),
    h('p', { class: 'lead' }, 'What you work on and what you are looking for. Suggestions match what others offer with what you seek.'),
    form,
  );
}

/** The research profile on a member's public page. */
export async function publicResearchProfile(container, user) {
  const data = await gql(`query ResearcherProfile($handle: String) { researcherProfile(handle: $handle) { ${PROFILE} } }`, { handle: user.handle });
  const p = data.researcherProfile;
  if (!p) {
    replace(container);
    return;
  }
  replace(container, 
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'rp-h' },
      h('h2', { id: 'rp-h' }, 'Research profile'),
      p.openToCollaborate ? badge('Open to collaboration', 'success') : null,
      profileFacts(p),
      p.openToCollaborate && session.user?.id !== user.id ? h('p', {}, h('a', { class: 'btn', href: `/collaborators/ask/${user.handle}` }, 'Ask to collaborate')) : null,
    ),
  );
}

// ---- suggestions --------------------------------------------------------------------------------

export async function suggestionsPage({ view }) {
  setTitle('Suggested collaborators');
  const body = h('div', {}, loading('Finding researchers who match…'));
  put(view, 
    pageHeader('Suggested collaborators', h('div', { class: 'header-actions' }, h('a', { class: 'btn', href: '/profile/research' }, 'Edit your research profile'))),
    workspaceTabs('collaborators'),
    body,
  );
  const data = await gql(`query Suggestions { suggestedCollaborators(first: 20) {
    considered explanation
    suggestions { score complementarity sharedInterests sharedAreas alreadyWorkingTogether reasons user { id handle displayName institution } profile { ${PROFILE} } }
  } }`);
  const s = data.suggestedCollaborators;
  if (!s.suggestions.length) {
    replace(body, 
      empty(
        s.explanation || 'No one matches yet.',
        h('p', {}, h('a', { class: 'btn', href: '/profile/research' }, 'Fill in your research profile')),
      ),
    );
    return;
  }
  replace(body, 
    h('p', { class: 'meta' }, `Ranked among ${s.considered} researchers open to collaboration.`),
    h(
      'ol',
      { class: 'list suggestion-list' },
      s.suggestions.map((sg) =>
        h(
          'li',
          { class: 'suggestion' },
          h(
            'div',
            { class: 'row' },
            sg.user ? h('a', { class: 'list-title', href: `/u/${sg.user.handle}` }, sg.user.displayName) : h('span', { class: 'list-title' }, 'A researcher'),
            badge(`${Math.round(sg.score * 100)}% match`, 'info'),
            sg.alreadyWorkingTogether ? badge('Already working together') : null,
          ),
          sg.user?.institution ? h('p', { class: 'meta' }, sg.user.institution) : null,
          h('ul', { class: 'reasons', 'aria-label': 'Why this match' }, sg.reasons.map((r) => h('li', {}, r))),
          h(
            'p',
            { class: 'meta' },
            `Offers what you seek ${Math.round(sg.complementarity * 100)}% · shared interests ${Math.round(sg.sharedInterests * 100)}% · shared areas ${Math.round(sg.sharedAreas * 100)}%`,
          ),
          sg.user ? h('p', {}, h('a', { class: 'btn btn-small', href: `/collaborators/ask/${sg.user.handle}` }, `Ask ${sg.user.displayName} to collaborate`)) : null,
        ),
      ),
    ),
  );
}

export async function askPage({ view, params }) {
  const data = await gql(`query AskTarget($handle: String) { user(handle: $handle) { id handle displayName institution } researcherProfile(handle: $handle) { ${PROFILE} } }`, { handle: params.handle });
  const user = data.user;
  if (!user) {
    setTitle('Member not found');
    put(view, pageHeader('Member not found'), empty(`No member has the handle @${params.handle}.`));
    return;
  }
  setTitle(`Ask ${user.displayName} to collaborate`);
  put(view, pageHeader(`Ask ${user.displayName} to collaborate`));
  const p = data.researcherProfile;
  if (!p || !p.openToCollaborate) {
    put(view, h('p', { class: 'state state-warn' }, `${user.displayName} is not open to collaboration requests right now.`));
    return;
  }
  const form = h(
    'form',
    { class: 'card form' },
    field({ label: 'Message', name: 'message', type: 'textarea', rows: 6, required: true, hint: 'Who you are and what you have in mind. Plain text.', attrs: { maxlength: 2000 } }),
    field({ label: 'Share my email address if they accept', name: 'shareEmail', type: 'checkbox' }),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, 'Send request'), h('a', { href: '/collaborators' }, 'Cancel')),
  );
  onSubmit(form, async (v) => {
    const sent = await gql('mutation SendRequest($input: CollaborationRequestInput!) { sendCollaborationRequest(input: $input) { id } }', {
      input: { recipientId: user.id, message: v.message, shareEmail: v.shareEmail },
    });
    flash(`Request sent to ${user.displayName}.`, 'success');
    navigate(`/collaborations/${sent.sendCollaborationRequest.id}`);
  });
  put(view, h('section', { class: 'card' }, h('h2', {}, 'Their profile'), profileFacts(p)), form);
}

// ---- requests -------------------------------------------------------------------------------------

const STATUS_KIND = { PENDING: 'info', ACCEPTED: 'success', DECLINED: 'danger', WITHDRAWN: '' };
const REQUESTS = `query CollabRequests($direction: RequestDirection!, $status: CollaborationRequestStatus, $first: Int, $after: String) {
  collaborationRequests(direction: $direction, status: $status, first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes { id message status createdAt respondedAt sender { id handle displayName } recipient { id handle displayName } }
  }
}`;

function requestItem(r) {
  const incoming = r.recipient?.id === session.user?.id;
  const other = incoming ? r.sender : r.recipient;
  return h(
    'li',
    {},
    h(
      'div',
      { class: 'row' },
      h('a', { class: 'list-title', href: `/collaborations/${r.id}` }, incoming ? `From ${other?.displayName || 'a researcher'}` : `To ${other?.displayName || 'a researcher'}`),
      badge(enumLabel(r.status), STATUS_KIND[r.status]),
    ),
    h('p', { class: 'excerpt' }, r.message.length > 200 ? `${r.message.slice(0, 200)}…` : r.message),
    h('p', { class: 'meta' }, 'Sent ', time(r.createdAt)),
  );
}

export async function requestsPage({ view, query }) {
  setTitle('Collaboration requests');
  const direction = query.get('direction') === 'OUTGOING' ? 'OUTGOING' : 'INCOMING';
  const body = h('div', {}, loading());
  put(view, 
    pageHeader('Collaboration requests'),
    workspaceTabs('requests'),
    tabLinks(
      'Direction',
      [
        { key: 'INCOMING', href: '/collaborations', label: 'Received' },
        { key: 'OUTGOING', href: '/collaborations?direction=OUTGOING', label: 'Sent' },
      ],
      direction,
    ),
    body,
  );
  const vars = { direction, status: null, first: 20, after: null };
  const data = await gql(REQUESTS, vars);
  const conn = data.collaborationRequests;
  if (!conn.nodes.length) {
    replace(body, empty(direction === 'INCOMING' ? 'No one has asked you to collaborate yet.' : 'You have not sent any requests.', h('p', {}, h('a', { href: '/collaborators' }, 'See suggested collaborators'))));
    return;
  }
  const list = h('ul', { class: 'list' }, conn.nodes.map(requestItem));
  replace(body, list, loadMore(list, conn.pageInfo, async (after) => (await gql(REQUESTS, { ...vars, after })).collaborationRequests, requestItem));
}

const MESSAGES = `query CollabMessages($requestId: ID!, $first: Int, $after: String) {
  collaborationMessages(requestId: $requestId, first: $first, after: $after) { pageInfo { hasNextPage endCursor } nodes { id body createdAt sender { id displayName } } }
}`;

function messageItem(m) {
  return h('li', { class: ['message', m.sender?.id === session.user?.id && 'message-mine'] }, h('p', { class: 'meta' }, m.sender ? m.sender.displayName : 'Someone', ' · ', time(m.createdAt)), h('p', { class: 'message-body' }, m.body));
}

export async function requestPage({ view, params }) {
  const load = async () =>
    (
      await gql(
        `query CollabRequest($id: ID!) { collaborationRequest(id: $id) {
          id message status createdAt respondedAt contact { requestId email }
          sender { id handle displayName institution } recipient { id handle displayName institution }
        } }`,
        { id: params.id },
      )
    ).collaborationRequest;
  const draw = async (r) => {
    if (!r) {
      setTitle('Request not found');
      return [pageHeader('Request not found'), empty('This request does not exist, or it is between other people.')];
    }
    const incoming = r.recipient?.id === session.user?.id;
    const other = incoming ? r.sender : r.recipient;
    setTitle(`Collaboration with ${other?.displayName || 'a researcher'}`);
    const refresh = async () => show(view, await draw(await load()));
    const run = async (mutation, message) => {
      try {
        await gql(mutation, { id: r.id });
        flash(message, 'success');
        refresh();
      } catch (err) {
        flash(err.message, 'error');
      }
    };
    const actions = [];
    if (r.status === 'PENDING' && incoming) {
      const accept = h(
        'form',
        { class: 'form' },
        field({ label: 'Share my email address with them', name: 'shareEmail', type: 'checkbox' }),
        h(
          'div',
          { class: 'actions' },
          h('button', { type: 'submit', class: 'btn btn-primary' }, 'Accept'),
          h('button', { type: 'button', class: 'btn btn-danger', onclick: () => confirmAction('Decline this request?') && run('mutation Decline($id: ID!) { declineCollaborationRequest(id: $id) { id } }', 'Declined.') }, 'Decline'),
        ),
      );
      onSubmit(accept, async (v) => {
        await gql('mutation Accept($id: ID!, $shareEmail: Boolean!) { acceptCollaborationRequest(id: $id, shareEmail: $shareEmail) { id } }', { id: r.id, shareEmail: v.shareEmail });
        flash('Accepted. You can now message each other here.', 'success');
        refresh();
      });
      actions.push(accept);
    }
    if (r.status === 'PENDING' && !incoming) {
      actions.push(h('button', { type: 'button', class: 'btn btn-danger', onclick: () => confirmAction('Withdraw your request?') && run('mutation Withdraw($id: ID!) { withdrawCollaborationRequest(id: $id) { id } }', 'Withdrawn.') }, 'Withdraw request'));
    }
    let thread = null;
    if (r.status === 'ACCEPTED') {
      const conn = (await gql(MESSAGES, { requestId: r.id, first: 30, after: null })).collaborationMessages;
      const list = h('ol', { class: 'messages', 'aria-label': 'Messages, newest first' }, conn.nodes.map(messageItem));
      const form = h(
        'form',
        { class: 'form' },
        field({ label: 'Message', name: 'body', type: 'textarea', rows: 3, required: true }),
        h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, 'Send message')),
      );
      onSubmit(form, async (v) => {
        await gql('mutation SendMessage($requestId: ID!, $body: String!) { sendCollaborationMessage(requestId: $requestId, body: $body) { id } }', { requestId: r.id, body: v.body });
        refresh();
      });
      thread = h(
        'section',
        { class: 'card', 'aria-labelledby': 'msg-h' },
        h('h2', { id: 'msg-h' }, 'Messages'),
        form,
        conn.nodes.length ? list : empty('No messages yet. Say hello.'),
        loadMore(list, conn.pageInfo, async (after) => (await gql(MESSAGES, { requestId: r.id, first: 30, after })).collaborationMessages, messageItem),
      );
    }
    return [
      h('p', { class: 'breadcrumbs' }, h('a', { href: incoming ? '/collaborations' : '/collaborations?direction=OUTGOING' }, '← Collaboration requests')),
      pageHeader(incoming ? `Request from ${other?.displayName}` : `Request to ${other?.displayName}`, badge(enumLabel(r.status), STATUS_KIND[r.status])),
      h(
        'section',
        { class: 'card' },
        h('p', { class: 'meta' }, other ? [h('a', { href: `/u/${other.handle}` }, other.displayName), other.institution ? ` · ${other.institution}` : ''] : '', ' · sent ', time(r.createdAt)),
        h('p', { class: 'message-body' }, r.message),
        r.contact?.email ? h('p', {}, 'Email: ', h('a', { href: `mailto:${r.contact.email}` }, r.contact.email)) : null,
        actions.length ? h('div', { class: 'actions' }, ...actions) : null,
      ),
      thread,
    ];
  };
  show(view, await draw(await load()));
}
