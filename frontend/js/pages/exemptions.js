// Data and Statistics Dissemination Exemption requests: the requester's list,
// form and request page, and the reviewers' queue and decision screen.

import { gql } from '../api.js';
import { markdownField } from '../components/markdown.js';
import { navigate, setTitle } from '../router.js';
import { session } from '../session.js';
import {
  badge,
  checkboxGroup,
  clearErrors,
  confirmAction,
  empty,
  enumLabel,
  errorBox,
  field,
  flash,
  formatDate,
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
  show,
  time,
} from '../ui.js';

const THRESHOLD = 20;
const PAGE = 25;

const STATES = ['DRAFT', 'SUBMITTED', 'IN_REVIEW', 'CHANGES_REQUESTED', 'RESUBMITTED', 'APPEALED', 'APPROVED', 'DENIED', 'WITHDRAWN'];
const OPEN_REVIEW_STATES = ['SUBMITTED', 'IN_REVIEW', 'RESUBMITTED', 'APPEALED'];

const STATE_TEXT = {
  DRAFT: 'Draft',
  SUBMITTED: 'Submitted, waiting for a reviewer',
  IN_REVIEW: 'In review',
  CHANGES_REQUESTED: 'Changes requested',
  RESUBMITTED: 'Resubmitted, waiting for a reviewer',
  APPEALED: 'Appealed, waiting for a different reviewer',
  APPROVED: 'Approved',
  DENIED: 'Denied',
  WITHDRAWN: 'Withdrawn',
};

export function stateBadge(state) {
  const kind = {
    APPROVED: 'success',
    DENIED: 'danger',
    CHANGES_REQUESTED: 'warn',
    SUBMITTED: 'info',
    IN_REVIEW: 'info',
    RESUBMITTED: 'info',
    APPEALED: 'info',
  }[state] || '';
  return badge(STATE_TEXT[state] || enumLabel(state), kind);
}

const SUMMARY = `id title state version overdue approvalsRequired approvalCount
  reviewConflict { reason message }
  requester { id handle displayName }
  workspace { id name namespace cdrVersion }
  assignee { id handle displayName }
  venue neededBy submittedAt dueAt decidedAt createdAt updatedAt`;

const DETAIL = `${SUMMARY}
  allowedActions publicationReportId decidedVersion
  dissemination disseminationHtml justification justificationHtml
  cells { description countMin countMax whyNotSuppressed }
  decisionNote decisionNoteHtml appealedAt appealReason
  approvals { reviewer { handle displayName } conditions requestVersion createdAt }
  history { id kind actor { handle displayName } fromState toState comment commentHtml internal requestVersion createdAt }`;

// Why the signed-in reviewer may not review a request, as the queue shows it.
const CONFLICT_TEXT = {
  OWN_REQUEST: 'Your request',
  OWNS_WORKSPACE: 'Conflict: your workspace',
  COLLABORATES_ON_WORKSPACE: 'Conflict: you collaborate',
  COLLABORATED_ON_WORKSPACE: 'Conflict: you collaborated',
  DENIED_REQUEST: 'You denied it',
};

function conflictSentence(conflict) {
  const text = conflict.message || '';
  return `Not yours to review: ${text}.`;
}

export function requestPath(id) {
  return `/exemptions/${id}`;
}

// ---- the requester's list ------------------------------------------------------------------

function requestItem(r, { showRequester = false } = {}) {
  return h(
    'li',
    { class: 'request-item' },
    h(
      'div',
      { class: 'row' },
      h('a', { class: 'list-title', href: requestPath(r.id) }, r.title),
      stateBadge(r.state),
      r.overdue ? badge('Overdue', 'danger') : null,
      showRequester && r.reviewConflict ? badge(CONFLICT_TEXT[r.reviewConflict.reason] || 'Not yours to review', 'warn') : null,
    ),
    showRequester && r.reviewConflict ? h('p', { class: 'meta conflict-reason' }, conflictSentence(r.reviewConflict)) : null,
    h(
      'p',
      { class: 'meta' },
      showRequester && r.requester ? `${r.requester.displayName} · ` : '',
      r.workspace ? `${r.workspace.name} (${r.workspace.cdrVersion})` : 'Workspace unavailable',
      ` · needed by ${formatDate(r.neededBy)}`,
      r.dueAt && OPEN_REVIEW_STATES.includes(r.state) ? ` · review due ${formatDate(r.dueAt)}` : '',
      r.assignee ? ` · with @${r.assignee.handle}` : '',
      r.approvalsRequired > 1 && r.state === 'IN_REVIEW' ? ` · ${r.approvalCount} of ${r.approvalsRequired} approvals` : '',
    ),
    h('p', { class: 'meta' }, 'Updated ', time(r.updatedAt)),
  );
}

const MINE = `query MyExemptions($first: Int, $after: String) {
  myExemptionRequests(first: $first, after: $after) { pageInfo { hasNextPage endCursor } nodes { ${SUMMARY} } }
}`;

export async function myRequestsPage({ view }) {
  setTitle('Exemption requests');
  put(view, 
    pageHeader(
      'Your exemption requests',
      h(
        'div',
        { class: 'header-actions' },
        session.isReviewer ? h('a', { class: 'btn', href: '/review/exemptions' }, 'Review queue') : null,
        h('a', { class: 'btn btn-primary', href: '/exemptions/new' }, 'New request'),
      ),
    ),
    h(
      'p',
      { class: 'lead' },
      `The Data and Statistics Dissemination Policy forbids publishing participant counts from 1 to ${THRESHOLD}, or figures they can be derived from. When collapsing, coarsening or suppressing will not do, ask program reviewers for an exemption here.`,
    ),
  );
  const body = h('div', {}, loading());
  put(view, body);
  const data = await gql(MINE, { first: PAGE, after: null });
  const conn = data.myExemptionRequests;
  if (!conn.nodes.length) {
    replace(body, empty('You have no exemption requests.', h('p', {}, h('a', { class: 'btn btn-primary', href: '/exemptions/new' }, 'Start a request'))));
    return;
  }
  const list = h('ul', { class: 'list', 'aria-label': 'Your exemption requests' }, conn.nodes.map((r) => requestItem(r)));
  replace(body, list, loadMore(list, conn.pageInfo, async (after) => (await gql(MINE, { first: PAGE, after })).myExemptionRequests, (r) => requestItem(r)));
}

// ---- the request form ----------------------------------------------------------------------

/** Set by the workspaces module: resolves to [{ id, name, cdrVersion }] the viewer may use. */
let workspaceSource = null;
export function setWorkspaceSource(fn) {
  workspaceSource = fn;
}

function cellFieldset(cell = {}, index, onRemove) {
  const prefix = `cells[${index}]`;
  const fs = h(
    'fieldset',
    { class: 'cell', dataset: { cell: String(index) } },
    h('legend', {}, `Cell ${index + 1}`),
    field({
      label: 'What the cell or statistic shows',
      name: `${prefix}.description`,
      value: cell.description || '',
      required: true,
      hint: 'For example: "Table 2, row: American Indian or Alaska Native, age 18–29".',
    }),
    h(
      'div',
      { class: 'row cell-counts' },
      field({
        label: 'Smallest count',
        name: `${prefix}.countMin`,
        type: 'number',
        value: cell.countMin ?? '',
        required: true,
        attrs: { min: 1, max: THRESHOLD, inputmode: 'numeric' },
      }),
      field({
        label: 'Largest count',
        name: `${prefix}.countMax`,
        type: 'number',
        value: cell.countMax ?? '',
        required: true,
        attrs: { min: 1, max: THRESHOLD, inputmode: 'numeric' },
      }),
    ),
    field({
      label: 'Why suppressing, collapsing or coarsening will not do',
      name: `${prefix}.whyNotSuppressed`,
      type: 'textarea',
      rows: 3,
      value: cell.whyNotSuppressed || '',
      required: true,
    }),
    h('button', { type: 'button', class: 'btn btn-small btn-danger', onclick: onRemove }, `Remove cell ${index + 1}`),
  );
  return fs;
}

/** The cells editor: a list of fieldsets with add and remove. */
function cellsEditor(initial) {
  const cells = initial.length ? initial.map((c) => ({ ...c })) : [{}];
  const wrapper = h('fieldset', { class: 'field cells-editor', dataset: { field: 'cells' } });
  const listBox = h('div', { class: 'cells' });
  const read = () =>
    [...listBox.querySelectorAll('fieldset.cell')].map((fs) => {
      const i = fs.dataset.cell;
      const val = (name) => fs.querySelector(`[name="cells[${i}].${name}"]`).value;
      return { description: val('description'), countMin: val('countMin'), countMax: val('countMax'), whyNotSuppressed: val('whyNotSuppressed') };
    });
  const redraw = (focusIndex = null) => {
    const current = listBox.children.length ? read() : cells;
    replace(listBox, 
      ...current.map((c, i) =>
        cellFieldset(c, i, () => {
          const now = read();
          now.splice(i, 1);
          cells.splice(0, cells.length, ...now);
          replace(listBox);
          redraw(Math.max(0, i - 1));
        }),
      ),
    );
    if (focusIndex !== null) listBox.querySelectorAll('fieldset.cell input')[focusIndex * 3]?.focus();
  };
  const add = h(
    'button',
    {
      type: 'button',
      class: 'btn btn-secondary',
      onclick: () => {
        const now = read();
        now.push({});
        cells.splice(0, cells.length, ...now);
        replace(listBox);
        redraw(now.length - 1);
      },
    },
    'Add another cell',
  );
  put(wrapper, 
    h('legend', {}, `Cells or statistics from 1 to ${THRESHOLD}`),
    h('p', { class: 'hint' }, `List each count (or statistic revealing one) from 1 to ${THRESHOLD} you need to publish. A count of 0 needs no exemption.`),
    listBox,
    add,
    h('p', { class: 'field-error', hidden: true }),
  );
  redraw();
  wrapper.read = read;
  return wrapper;
}

/** Client-side checks mirroring the server's, so mistakes show at once. */
function isBlankCell(c) {
  return !`${c.description}${c.countMin}${c.countMax}${c.whyNotSuppressed}`.trim();
}

function checkCells(form, cells) {
  let ok = true;
  cells.forEach((c, i) => {
    if (isBlankCell(c)) return;
    const min = Number(c.countMin);
    const max = Number(c.countMax);
    if (!Number.isInteger(min) || min < 1 || min > THRESHOLD) {
      setFieldError(form, `cells[${i}].countMin`, `Enter a whole number from 1 to ${THRESHOLD}: counts of 0 need no exemption.`);
      ok = false;
    }
    if (!Number.isInteger(max) || max < min || max > THRESHOLD) {
      setFieldError(form, `cells[${i}].countMax`, `Enter a whole number from the smallest count to ${THRESHOLD}.`);
      ok = false;
    }
  });
  if (!ok) form.querySelector('[aria-invalid="true"]')?.focus();
  return ok;
}

function cellsInput(cells) {
  return cells.filter((c) => !isBlankCell(c)).map((c) => ({
    description: c.description.trim(),
    countMin: Number(c.countMin),
    countMax: Number(c.countMax),
    whyNotSuppressed: c.whyNotSuppressed.trim(),
  }));
}

async function workspaceField(current) {
  if (current) {
    return h('p', { class: 'meta' }, `Workspace: ${current.name} (${current.namespace}, CDR ${current.cdrVersion})`);
  }
  if (workspaceSource) {
    const workspaces = await workspaceSource();
    if (!workspaces.length) {
      return h(
        'div',
        { class: 'state state-warn', dataset: { field: 'workspaceId' } },
        h('p', {}, 'An exemption request belongs to a workspace you own or collaborate on, and you have none listed yet.'),
        h('p', {}, h('a', { href: '/workspaces/new' }, 'List a workspace first')),
      );
    }
    return field({
      label: 'Workspace',
      name: 'workspaceId',
      type: 'select',
      required: true,
      hint: 'The workspace the results come from.',
      options: [{ value: '', label: 'Choose a workspace…' }, ...workspaces.map((w) => ({ value: w.id, label: `${w.name} (CDR ${w.cdrVersion})` }))],
    });
  }
  return field({
    label: 'Workspace number',
    name: 'workspaceId',
    required: true,
    hint: 'The number of a workspace you own or collaborate on.',
    attrs: { inputmode: 'numeric' },
  });
}

function tomorrow() {
  const d = new Date(Date.now() + 14 * 86400_000);
  return d.toISOString().slice(0, 10);
}

async function requestForm(view, existing) {
  const editing = Boolean(existing);
  const ws = await workspaceField(existing?.workspace);
  const cells = cellsEditor(existing?.cells || []);
  const submitLabel = !editing ? 'Save and submit for review' : existing.state === 'CHANGES_REQUESTED' ? 'Save and resubmit' : 'Save and submit for review';
  const form = h(
    'form',
    { class: 'card form request-form' },
    ws,
    field({ label: 'Title', name: 'title', value: existing?.title || '', required: true, attrs: { maxlength: 200 }, hint: 'A short name reviewers will recognise.' }),
    field({
      label: 'Intended venue',
      name: 'venue',
      value: existing?.venue || '',
      required: true,
      hint: 'Journal, conference, preprint server or meeting.',
      attrs: { maxlength: 300 },
    }),
    field({
      label: 'Needed by',
      name: 'neededBy',
      type: 'date',
      value: existing?.neededBy || tomorrow(),
      required: true,
      hint: 'The date you need a decision by.',
    }),
    markdownField({
      label: 'What will be disseminated',
      name: 'dissemination',
      value: existing?.dissemination || '',
      required: true,
      hint: 'Describe the manuscript, poster or talk and the tables or figures involved.',
    }),
    cells,
    markdownField({
      label: 'Justification',
      name: 'justification',
      value: existing?.justification || '',
      required: true,
      hint: 'Why the exemption is needed, and how participants stay protected.',
    }),
    field({
      label: 'Publication report number',
      name: 'publicationReportId',
      value: existing?.publicationReportId || '',
      hint: 'Optional: the report you filed for this publication.',
      attrs: { inputmode: 'numeric' },
    }),
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'submit', class: 'btn btn-primary', value: 'submit' }, submitLabel),
      h('button', { type: 'submit', class: 'btn btn-secondary', value: 'save', formnovalidate: true }, editing ? 'Save changes' : 'Save as draft'),
      h('a', { href: editing ? requestPath(existing.id) : '/exemptions' }, 'Cancel'),
    ),
  );
  onSubmit(form, async (v, f, submitter) => {
    const values = cells.read();
    if (!checkCells(f, values)) return;
    const submitting = submitter?.value !== 'save';
    const common = {
      title: v.title.trim(),
      venue: v.venue.trim(),
      neededBy: v.neededBy,
      dissemination: v.dissemination,
      justification: v.justification,
      cells: cellsInput(values),
      publicationReportId: orNull(v.publicationReportId),
    };
    let saved;
    if (editing) {
      const data = await gql(
        `mutation UpdateExemption($id: ID!, $input: UpdateExemptionRequestInput!, $expectedVersion: Int) {
          updateExemptionRequest(id: $id, input: $input, expectedVersion: $expectedVersion) { id state version }
        }`,
        { id: existing.id, input: common, expectedVersion: existing.version },
      );
      saved = data.updateExemptionRequest;
    } else {
      const data = await gql(
        `mutation CreateExemption($input: CreateExemptionRequestInput!) { createExemptionRequest(input: $input) { id state version } }`,
        { input: { ...common, workspaceId: v.workspaceId } },
      );
      saved = data.createExemptionRequest;
    }
    if (submitting) {
      try {
        if (saved.state === 'CHANGES_REQUESTED') {
          await gql('mutation Resubmit($id: ID!) { resubmitExemptionRequest(id: $id) { id } }', { id: saved.id });
        } else {
          await gql('mutation Submit($id: ID!) { submitExemptionRequest(id: $id) { id } }', { id: saved.id });
        }
      } catch (err) {
        // Saved but incomplete: keep the draft and say what is missing.
        flash(`Saved as a draft, but not submitted: ${err.message}`, 'error');
        navigate(`${requestPath(saved.id)}/edit`, { replace: true });
        return;
      }
      flash('Your request is submitted. Reviewers will pick it up from the queue.', 'success');
    } else {
      flash('Saved.', 'success');
    }
    navigate(requestPath(saved.id));
  });
  put(view, form);
}

export async function newRequestPage({ view }) {
  setTitle('New exemption request');
  put(view, 
    pageHeader('New exemption request'),
    h(
      'p',
      { class: 'lead' },
      'Fill in what reviewers need to decide. You can save a draft and come back; nothing reaches reviewers until you submit.',
    ),
  );
  await requestForm(view, null);
}

export async function editRequestPage({ view, params }) {
  const data = await gql(`query ExemptionForEdit($id: ID!) { exemptionRequest(id: $id) { ${DETAIL} } }`, { id: params.id });
  const r = data.exemptionRequest;
  setTitle(`Edit: ${r.title}`);
  put(view, pageHeader(`Edit request: ${r.title}`));
  if (!['DRAFT', 'CHANGES_REQUESTED'].includes(r.state)) {
    put(view, 
      h('p', { class: 'state state-warn' }, `This request is ${STATE_TEXT[r.state].toLowerCase()} and can no longer be edited.`),
      h('p', {}, h('a', { href: requestPath(r.id) }, 'Back to the request')),
    );
    return;
  }
  if (r.state === 'CHANGES_REQUESTED' && r.decisionNoteHtml) {
    put(view, h('section', { class: 'card decision decision-warn' }, h('h2', {}, 'Changes the reviewer asked for'), serverHtml(r.decisionNoteHtml)));
  }
  await requestForm(view, r);
}

// ---- the request page -------------------------------------------------------------------------

function cellsTable(cells) {
  if (!cells.length) return empty('No cells listed yet.');
  return h(
    'table',
    { class: 'table' },
    h('caption', { class: 'visually-hidden' }, 'Cells or statistics below the threshold'),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Cell or statistic'), h('th', { scope: 'col' }, 'Count'), h('th', { scope: 'col' }, 'Why not suppressed'))),
    h(
      'tbody',
      {},
      cells.map((c) =>
        h(
          'tr',
          {},
          h('td', {}, c.description),
          h('td', { class: 'nowrap' }, c.countMin === c.countMax ? String(c.countMin) : `${c.countMin}–${c.countMax}`),
          h('td', {}, c.whyNotSuppressed),
        ),
      ),
    ),
  );
}

const EVENT_TEXT = {
  CREATE: 'created the request',
  EDIT: 'edited the request',
  SUBMIT: 'submitted the request',
  CLAIM: 'started the review',
  ASSIGN: 'assigned the request',
  REQUEST_CHANGES: 'asked for changes',
  RESUBMIT: 'resubmitted the request',
  APPROVE: 'approved',
  DENY: 'denied the request',
  WITHDRAW: 'withdrew the request',
  APPEAL: 'appealed the decision',
  COMMENT: 'commented',
  UNASSIGN: 'took the request from a conflicted reviewer',
};

function historyList(events) {
  if (!events.length) return empty('No history yet.');
  return h(
    'ol',
    { class: 'timeline' },
    events.map((e) =>
      h(
        'li',
        { class: ['event', e.internal && 'event-internal'], id: `event-${e.id}` },
        h(
          'p',
          { class: 'event-head' },
          h('strong', {}, e.actor ? e.actor.displayName : 'The system'),
          ` ${EVENT_TEXT[e.kind] || enumLabel(e.kind)}`,
          e.toState && e.fromState !== e.toState ? [' → ', stateBadge(e.toState)] : '',
          e.internal ? [' ', badge('Reviewers only', 'reviewer')] : '',
          ' · ',
          time(e.createdAt),
          h('span', { class: 'meta' }, ` · version ${e.requestVersion}`),
        ),
        e.commentHtml ? serverHtml(e.commentHtml) : null,
      ),
    ),
  );
}

/** A small form that runs one action with an optional or required note. */
function actionForm({ title, name, label, required = false, hint = '', button, danger = false, run, confirmText = null }) {
  const form = h(
    'form',
    { class: 'form action-form' },
    h('h3', {}, title),
    markdownField({ label, name, required, hint, rows: 4 }),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: ['btn', danger ? 'btn-danger' : 'btn-primary'] }, button)),
  );
  onSubmit(form, async (v) => {
    if (confirmText && !confirmAction(confirmText)) return;
    await run(v[name]);
  });
  return form;
}

async function act(mutation, variables, message) {
  await gql(mutation, variables);
  flash(message, 'success');
}

function requesterActions(r, refresh) {
  const items = [];
  const allowed = new Set(r.allowedActions);
  if (['DRAFT', 'CHANGES_REQUESTED'].includes(r.state)) {
    items.push(h('p', {}, h('a', { class: 'btn', href: `${requestPath(r.id)}/edit` }, 'Edit request')));
  }
  if (allowed.has('SUBMIT')) {
    items.push(
      h(
        'p',
        {},
        h(
          'button',
          {
            type: 'button',
            class: 'btn btn-primary',
            onclick: async (e) => {
              const b = e.currentTarget;
              b.disabled = true;
              try {
                await act('mutation Submit($id: ID!) { submitExemptionRequest(id: $id) { id } }', { id: r.id }, 'Submitted for review.');
                refresh();
              } catch (err) {
                flash(err.message, 'error');
                b.disabled = false;
              }
            },
          },
          'Submit for review',
        ),
      ),
    );
  }
  if (allowed.has('RESUBMIT')) {
    items.push(
      actionForm({
        title: 'Resubmit',
        name: 'comment',
        label: 'What you changed',
        hint: 'Optional: tell the reviewer what changed.',
        button: 'Resubmit for review',
        run: async (comment) => {
          await act('mutation Resubmit($id: ID!, $comment: String) { resubmitExemptionRequest(id: $id, comment: $comment) { id } }', { id: r.id, comment: orNull(comment) }, 'Resubmitted for review.');
          refresh();
        },
      }),
    );
  }
  if (allowed.has('APPEAL')) {
    items.push(
      actionForm({
        title: 'Appeal the decision',
        name: 'reason',
        label: 'Why the decision should be reconsidered',
        required: true,
        hint: 'A different reviewer will look at your appeal. You can appeal once.',
        button: 'Appeal',
        run: async (reason) => {
          await act('mutation Appeal($id: ID!, $reason: String!) { appealExemptionRequest(id: $id, reason: $reason) { id } }', { id: r.id, reason }, 'Your appeal is submitted.');
          refresh();
        },
      }),
    );
  }
  if (allowed.has('WITHDRAW')) {
    items.push(
      actionForm({
        title: 'Withdraw',
        name: 'reason',
        label: 'Reason for withdrawing',
        hint: 'Optional.',
        button: 'Withdraw request',
        danger: true,
        confirmText: 'Withdraw this request? It cannot be reopened.',
        run: async (reason) => {
          await act('mutation Withdraw($id: ID!, $reason: String) { withdrawExemptionRequest(id: $id, reason: $reason) { id } }', { id: r.id, reason: orNull(reason) }, 'The request is withdrawn.');
          refresh();
        },
      }),
    );
  }
  return items;
}

function reviewerActions(r, refresh) {
  const items = [];
  if (r.reviewConflict) {
    // The server refuses every review action; say why instead of offering them.
    items.push(h('p', { class: 'meta conflict-reason', role: 'note' }, conflictSentence(r.reviewConflict)));
    return items;
  }
  const allowed = new Set(r.allowedActions);
  const mine = r.assignee && r.assignee.id === session.user?.id;
  if (allowed.has('START_REVIEW')) {
    items.push(
      h(
        'p',
        {},
        h(
          'button',
          {
            type: 'button',
            class: 'btn btn-primary',
            onclick: async (e) => {
              const b = e.currentTarget;
              b.disabled = true;
              try {
                await act('mutation Claim($id: ID!) { claimExemptionRequest(id: $id) { id } }', { id: r.id }, 'The request is yours to review.');
                refresh();
              } catch (err) {
                flash(err.message, 'error');
                b.disabled = false;
              }
            },
          },
          mine ? 'Start the review' : 'Claim and start the review',
        ),
      ),
    );
  }
  if (OPEN_REVIEW_STATES.includes(r.state)) {
    const form = h(
      'form',
      { class: 'form inline-form action-form' },
      field({ label: 'Assign to reviewer (handle)', name: 'reviewerId', required: true, hint: 'Without the @.', attrs: { autocomplete: 'off' } }),
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn btn-secondary' }, 'Assign')),
    );
    onSubmit(form, async (v) => {
      const handle = v.reviewerId.trim().replace(/^@/, '');
      const found = await gql('query FindReviewer($handle: String) { user(handle: $handle) { id handle } }', { handle });
      if (!found.user) {
        setFieldError(form, 'reviewerId', `No member has the handle @${handle}.`);
        return;
      }
      await act('mutation Assign($id: ID!, $reviewerId: ID!) { assignExemptionRequest(id: $id, reviewerId: $reviewerId) { id } }', { id: r.id, reviewerId: found.user.id }, `Assigned to @${found.user.handle}.`);
      refresh();
    });
    items.push(h('h3', {}, 'Assignment'), form);
  }
  const version = { id: r.id, expectedVersion: r.version };
  if (allowed.has('APPROVE')) {
    items.push(
      actionForm({
        title: r.approvalsRequired > 1 ? `Approve (${r.approvalCount} of ${r.approvalsRequired} approvals so far)` : 'Approve',
        name: 'conditions',
        label: 'Conditions of approval',
        hint: 'Optional: conditions the requester must meet.',
        button: 'Approve',
        run: async (conditions) => {
          await act(
            'mutation Approve($id: ID!, $expectedVersion: Int!, $conditions: String) { approveExemptionRequest(id: $id, expectedVersion: $expectedVersion, conditions: $conditions) { id state } }',
            { ...version, conditions: orNull(conditions) },
            'Your approval is recorded.',
          );
          refresh();
        },
      }),
    );
  }
  if (allowed.has('REQUEST_CHANGES')) {
    items.push(
      actionForm({
        title: 'Request changes',
        name: 'comments',
        label: 'Changes needed',
        required: true,
        button: 'Send back for changes',
        run: async (comments) => {
          await act(
            'mutation RequestChanges($id: ID!, $expectedVersion: Int!, $comments: String!) { requestExemptionChanges(id: $id, expectedVersion: $expectedVersion, comments: $comments) { id } }',
            { ...version, comments },
            'Sent back to the requester.',
          );
          refresh();
        },
      }),
    );
  }
  if (allowed.has('DENY')) {
    items.push(
      actionForm({
        title: 'Deny',
        name: 'reason',
        label: 'Reason for the denial',
        required: true,
        hint: 'The requester sees this, and may appeal once.',
        button: 'Deny request',
        danger: true,
        confirmText: 'Deny this request?',
        run: async (reason) => {
          await act(
            'mutation Deny($id: ID!, $expectedVersion: Int!, $reason: String!) { denyExemptionRequest(id: $id, expectedVersion: $expectedVersion, reason: $reason) { id } }',
            { ...version, reason },
            'The request is denied.',
          );
          refresh();
        },
      }),
    );
  }
  return items;
}

// Conflicts of interest that also close the comment box: only the requester
// and reviewers without one comment.
const SILENCING_CONFLICTS = ['OWNS_WORKSPACE', 'COLLABORATES_ON_WORKSPACE', 'COLLABORATED_ON_WORKSPACE'];

function commentForm(r, refresh) {
  if (r.reviewConflict && SILENCING_CONFLICTS.includes(r.reviewConflict.reason)) {
    return h('p', { class: 'meta' }, 'Reviewers with a conflict of interest read the request but do not comment on it.');
  }
  const form = h(
    'form',
    { class: 'form' },
    markdownField({ label: 'Comment', name: 'body', required: true, rows: 4 }),
    session.isReviewer && r.requester?.id !== session.user?.id
      ? field({ label: 'Only for reviewers (internal note)', name: 'internal', type: 'checkbox' })
      : null,
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, 'Add comment')),
  );
  onSubmit(form, async (v, f) => {
    await gql('mutation Comment($id: ID!, $body: String!, $internal: Boolean!) { commentOnExemptionRequest(id: $id, body: $body, internal: $internal) { id } }', {
      id: r.id,
      body: v.body,
      internal: Boolean(v.internal),
    });
    f.reset();
    clearErrors(f);
    flash('Comment added.', 'success');
    refresh();
  });
  return form;
}

function decisionBox(r) {
  if (r.state === 'APPROVED') {
    return h(
      'section',
      { class: 'card decision decision-approved', 'aria-labelledby': 'decision-h' },
      h('h2', { id: 'decision-h' }, 'Decision: approved'),
      h('p', { class: 'meta' }, `Decided ${formatDateTime(r.decidedAt)} on version ${r.decidedVersion}.`),
      r.decisionNoteHtml ? [h('h3', {}, 'Conditions'), serverHtml(r.decisionNoteHtml)] : h('p', {}, 'Approved without conditions.'),
    );
  }
  if (r.state === 'DENIED') {
    return h(
      'section',
      { class: 'card decision decision-denied', 'aria-labelledby': 'decision-h' },
      h('h2', { id: 'decision-h' }, 'Decision: denied'),
      h('p', { class: 'meta' }, `Decided ${formatDateTime(r.decidedAt)} on version ${r.decidedVersion}.`),
      r.decisionNoteHtml ? [h('h3', {}, 'Reason'), serverHtml(r.decisionNoteHtml)] : null,
    );
  }
  if (r.state === 'CHANGES_REQUESTED') {
    return h(
      'section',
      { class: 'card decision decision-warn', 'aria-labelledby': 'decision-h' },
      h('h2', { id: 'decision-h' }, 'Changes requested'),
      r.decisionNoteHtml ? serverHtml(r.decisionNoteHtml) : null,
    );
  }
  if (r.appealedAt && r.state !== 'WITHDRAWN') {
    return h(
      'section',
      { class: 'card decision', 'aria-labelledby': 'decision-h' },
      h('h2', { id: 'decision-h' }, 'Appeal'),
      h('p', { class: 'meta' }, `Appealed ${formatDateTime(r.appealedAt)}.`),
      h('p', {}, r.appealReason),
    );
  }
  return null;
}

export async function requestPage({ view, params }) {
  const load = async () => (await gql(`query Exemption($id: ID!) { exemptionRequest(id: $id) { ${DETAIL} } }`, { id: params.id })).exemptionRequest;
  const draw = (r) => {
    setTitle(r.title);
    const isRequester = r.requester?.id === session.user?.id;
    const refresh = async () => {
      try {
        const fresh = await load();
        show(view, draw(fresh));
      } catch (err) {
        replace(view, errorBox(err, refresh));
      }
    };
    const actions = [
      ...(isRequester ? requesterActions(r, refresh) : []),
      ...(session.isReviewer && !isRequester ? reviewerActions(r, refresh) : []),
    ];
    return [
      h('p', { class: 'breadcrumbs' }, h('a', { href: session.isReviewer && !isRequester ? '/review/exemptions' : '/exemptions' }, session.isReviewer && !isRequester ? '← Review queue' : '← Your requests')),
      pageHeader(r.title, h('div', { class: 'badges' }, stateBadge(r.state), r.overdue ? badge('Overdue', 'danger') : null)),
      h(
        'div',
        { class: 'grid-2' },
        h(
          'div',
          { class: 'stack' },
          decisionBox(r),
          h('section', { class: 'card', 'aria-labelledby': 'diss-h' }, h('h2', { id: 'diss-h' }, 'What will be disseminated'), r.disseminationHtml ? serverHtml(r.disseminationHtml) : empty('Not described yet.')),
          h('section', { class: 'card', 'aria-labelledby': 'cells-h' }, h('h2', { id: 'cells-h' }, `Cells from 1 to ${THRESHOLD}`), cellsTable(r.cells)),
          h('section', { class: 'card', 'aria-labelledby': 'just-h' }, h('h2', { id: 'just-h' }, 'Justification'), r.justificationHtml ? serverHtml(r.justificationHtml) : empty('Not given yet.')),
          r.approvals.length
            ? h(
                'section',
                { class: 'card', 'aria-labelledby': 'appr-h' },
                h('h2', { id: 'appr-h' }, `Approvals (${r.approvalCount} of ${r.approvalsRequired})`),
                h(
                  'ul',
                  {},
                  r.approvals.map((a) => h('li', {}, `${a.reviewer ? a.reviewer.displayName : 'A reviewer'} on version ${a.requestVersion}, `, time(a.createdAt), a.conditions ? `: ${a.conditions}` : '')),
                ),
              )
            : null,
          h('section', { class: 'card', 'aria-labelledby': 'hist-h' }, h('h2', { id: 'hist-h' }, 'History'), historyList(r.history), h('h3', {}, 'Add a comment'), commentForm(r, refresh)),
        ),
        h(
          'aside',
          { class: 'sidebar stack', 'aria-label': 'Request details and actions' },
          h(
            'section',
            { class: 'card' },
            h('h2', {}, 'Details'),
            h(
              'dl',
              { class: 'facts facts-stacked' },
              h('dt', {}, 'Request'),
              h('dd', {}, `#${r.id}, version ${r.version}`),
              h('dt', {}, 'Requester'),
              h('dd', {}, r.requester ? h('a', { href: `/u/${r.requester.handle}` }, r.requester.displayName) : '—'),
              h('dt', {}, 'Workspace'),
              h('dd', {}, r.workspace ? `${r.workspace.name} (${r.workspace.namespace}), CDR ${r.workspace.cdrVersion}` : '—'),
              h('dt', {}, 'Venue'),
              h('dd', {}, r.venue || '—'),
              h('dt', {}, 'Needed by'),
              h('dd', {}, formatDate(r.neededBy)),
              h('dt', {}, 'Submitted'),
              h('dd', {}, r.submittedAt ? formatDateTime(r.submittedAt) : 'Not yet'),
              r.dueAt ? [h('dt', {}, 'Review due'), h('dd', {}, formatDateTime(r.dueAt), r.overdue ? ' (overdue)' : '')] : null,
              h('dt', {}, 'Reviewer'),
              h('dd', {}, r.assignee ? r.assignee.displayName : 'Not assigned'),
              h('dt', {}, 'Approvals needed'),
              h('dd', {}, String(r.approvalsRequired)),
              r.publicationReportId ? [h('dt', {}, 'Publication report'), h('dd', {}, h('a', { href: `/reports/${r.publicationReportId}` }, `#${r.publicationReportId}`))] : null,
            ),
          ),
          actions.length ? h('section', { class: 'card actions-card', 'aria-labelledby': 'act-h' }, h('h2', { id: 'act-h' }, 'Actions'), ...actions) : null,
        ),
      ),
    ];
  };
  const r = await load();
  show(view, draw(r));
}

// ---- the reviewers' queue -------------------------------------------------------------------

const QUEUE = `query ExemptionQueue($filter: ExemptionQueueFilter, $first: Int, $after: String) {
  exemptionQueue(filter: $filter, first: $first, after: $after) { pageInfo { hasNextPage endCursor } nodes { ${SUMMARY} } }
}`;

function metricsCard(m) {
  const counts = m.countsByState.filter((c) => c.count > 0);
  return h(
    'section',
    { class: 'card metrics', 'aria-labelledby': 'metrics-h' },
    h('h2', { id: 'metrics-h' }, 'At a glance'),
    h(
      'dl',
      { class: 'facts facts-compact' },
      h('dt', {}, 'Overdue'),
      h('dd', {}, String(m.overdueCount)),
      h('dt', {}, 'Decided'),
      h('dd', {}, String(m.decidedCount)),
      h('dt', {}, 'Median time to decision'),
      h('dd', {}, m.medianHoursToDecision == null ? 'No decisions yet' : `${Math.round(m.medianHoursToDecision)} hours`),
    ),
    counts.length ? h('ul', { class: 'plain-list state-counts' }, counts.map((c) => h('li', {}, stateBadge(c.state), ` ${c.count}`))) : null,
  );
}

export async function queuePage({ view, query }) {
  setTitle('Exemption review queue');
  const states = query.getAll('state').filter((s) => STATES.includes(s));
  const assigned = query.get('assigned') || 'any';
  const overdue = query.get('overdue') || 'any';
  const filterForm = h(
    'form',
    { class: 'card form queue-filters', role: 'search', 'aria-label': 'Filter the queue' },
    checkboxGroup({
      legend: 'States',
      name: 'state',
      options: STATES.filter((s) => s !== 'DRAFT').map((s) => ({ value: s, label: STATE_TEXT[s] })),
      values: states,
      hint: 'None ticked: every open request.',
    }),
    h(
      'div',
      { class: 'filters' },
      field({
        label: 'Assigned',
        name: 'assigned',
        type: 'select',
        value: assigned,
        options: [
          { value: 'any', label: 'Anyone or no one' },
          { value: 'me', label: 'To me' },
          { value: 'none', label: 'Unassigned' },
        ],
      }),
      field({
        label: 'Timeliness',
        name: 'overdue',
        type: 'select',
        value: overdue,
        options: [
          { value: 'any', label: 'All' },
          { value: 'yes', label: 'Overdue' },
          { value: 'no', label: 'On time' },
        ],
      }),
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, 'Apply filters'), h('a', { href: '/review/exemptions' }, 'Clear')),
    ),
  );
  filterForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const params = new URLSearchParams();
    for (const cb of filterForm.querySelectorAll('input[name=state]:checked')) params.append('state', cb.value);
    const a = filterForm.querySelector('[name=assigned]').value;
    const o = filterForm.querySelector('[name=overdue]').value;
    if (a !== 'any') params.set('assigned', a);
    if (o !== 'any') params.set('overdue', o);
    const qs = params.toString();
    navigate(`/review/exemptions${qs ? `?${qs}` : ''}`);
  });
  const filter = {
    states: states.length ? states : null,
    assigneeId: assigned === 'me' ? session.user.id : null,
    unassigned: assigned === 'none',
    overdue: overdue === 'yes' ? true : overdue === 'no' ? false : null,
  };
  const metricsBox = h('div', {}, loading('Loading figures…'));
  const listBox = h('div', {}, loading('Loading the queue…'));
  put(view, 
    pageHeader('Exemption review queue'),
    h('p', { class: 'lead' }, 'Open requests, soonest needed first. Claim one to review it; requests you made or whose workspace you work on are not yours to decide.'),
    h('div', { class: 'grid-2' }, h('div', {}, filterForm, listBox), h('aside', { class: 'sidebar', 'aria-label': 'Queue figures' }, metricsBox)),
  );
  gql('query ExemptionMetrics { exemptionMetrics { countsByState { state count } medianHoursToDecision decidedCount overdueCount } }')
    .then((d) => replace(metricsBox, metricsCard(d.exemptionMetrics)))
    .catch((err) => replace(metricsBox, errorBox(err)));
  const data = await gql(QUEUE, { filter, first: PAGE, after: null });
  const conn = data.exemptionQueue;
  if (!conn.nodes.length) {
    replace(listBox, empty('No requests match these filters. The queue is clear.'));
    return;
  }
  const list = h('ul', { class: 'list', 'aria-label': 'Requests in the queue' }, conn.nodes.map((r) => requestItem(r, { showRequester: true })));
  replace(listBox, 
    h('p', { class: 'meta' }, plural(conn.nodes.length, 'request') + (conn.pageInfo.hasNextPage ? ' shown' : '')),
    list,
    loadMore(list, conn.pageInfo, async (after) => (await gql(QUEUE, { filter, first: PAGE, after })).exemptionQueue, (r) => requestItem(r, { showRequester: true })),
  );
}
