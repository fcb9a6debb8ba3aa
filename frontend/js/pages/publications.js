// Publication and presentation reports: "my reports", the report form with
// its checks, a report's page with its lifecycle, the staff view with CSV
// export, and the community's recent publications.

import { gql, stripField } from '../api.js';
import { markdownField } from '../components/markdown.js';
import { navigate, setTitle } from '../router.js';
import { session } from '../session.js';
import {
  badge,
  capitaliseSentence,
  checkboxGroup,
  confirmAction,
  empty,
  enumLabel,
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
  put,
  replace,
  serverHtml,
  setFieldError,
  show,
  tabLinks,
  time,
} from '../ui.js';

const PAGE = 25;
const NOTICE_DAYS = 14;

export const TYPES = [
  ['JOURNAL_ARTICLE', 'Journal article'],
  ['PREPRINT', 'Preprint'],
  ['CONFERENCE_ABSTRACT', 'Conference abstract'],
  ['ORAL_PRESENTATION', 'Oral presentation'],
  ['POSTER', 'Poster'],
  ['THESIS', 'Thesis or dissertation'],
  ['BOOK_CHAPTER', 'Book chapter'],
  ['MEDIA', 'Media or press'],
  ['OTHER', 'Other'],
];
const STATUSES = [
  ['PLANNED', 'Planned'],
  ['SUBMITTED', 'Submitted to the venue'],
  ['ACCEPTED', 'Accepted'],
  ['PUBLISHED', 'Published'],
  ['PRESENTED', 'Presented'],
  ['WITHDRAWN', 'Withdrawn'],
];
const label = (pairs, key) => (pairs.find(([k]) => k === key) || [key, enumLabel(key)])[1];
const options = (pairs) => pairs.map(([value, text]) => ({ value, label: text }));

const SUMMARY = `id type title status isDraft venue dueDate filedAt late daysOfNotice tier cdrVersion updatedAt embargoUntil
  leadAuthor { id handle displayName } filer { id handle displayName }`;
const DETAIL = `${SUMMARY} summary summaryHtml submissionDate presentationDate publicationDate doi doiUrl pmcid url
  exemptionRequestId dataAvailabilityStatement viewerCanEdit createdAt
  coAuthors { user { id handle displayName } name affiliation }
  workspaces { workspaceId namespace }
  attestations { acknowledgementIncluded dataAvailabilityIncluded compliesWithPolicy }
  statusHistory { fromStatus toStatus changedBy { displayName } changedAt }`;

export function reportPath(id) {
  return `/reports/${id}`;
}

function statusBadge(r) {
  if (r.isDraft) return badge('Draft: not filed', 'warn');
  const kind = { PUBLISHED: 'success', PRESENTED: 'success', ACCEPTED: 'info', WITHDRAWN: '' }[r.status] ?? 'info';
  return badge(label(STATUSES, r.status), kind);
}

function reportItem(r, { staff = false } = {}) {
  return h(
    'li',
    {},
    h(
      'div',
      { class: 'row' },
      h('a', { class: 'list-title', href: reportPath(r.id) }, r.title),
      statusBadge(r),
      r.late ? badge('Filed late', 'danger') : null,
    ),
    h(
      'p',
      { class: 'meta' },
      label(TYPES, r.type),
      r.venue ? ` · ${r.venue}` : '',
      r.dueDate ? ` · appears ${formatDate(r.dueDate)}` : '',
      staff && r.leadAuthor ? ` · lead author ${r.leadAuthor.displayName}` : '',
      r.filedAt ? [' · filed ', time(r.filedAt)] : [' · updated ', time(r.updatedAt)],
    ),
  );
}

function reportTabs(current) {
  const items = [
    { key: 'mine', href: '/reports', label: 'Your reports' },
    { key: 'community', href: '/publications', label: 'Community publications' },
  ];
  if (session.isReviewer || session.isAdmin) items.push({ key: 'staff', href: '/staff/reports', label: 'All filed reports (staff)' });
  return tabLinks('Reports', items, current);
}

// ---- my reports -----------------------------------------------------------------------------------

const MINE = `query MyReports($status: PublicationStatus, $first: Int, $after: String) {
  myPublicationReports(status: $status, first: $first, after: $after) { pageInfo { hasNextPage endCursor } nodes { ${SUMMARY} } }
}`;

export async function myReportsPage({ view, query }) {
  setTitle('Your publication reports');
  const status = STATUSES.some(([k]) => k === query.get('status')) ? query.get('status') : null;
  const body = h('div', {}, loading());
  const filter = h(
    'form',
    { class: 'filters', role: 'search', 'aria-label': 'Filter your reports' },
    field({ label: 'Status', name: 'status', type: 'select', value: status || '', options: [{ value: '', label: 'Any status' }, ...options(STATUSES)] }),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn btn-secondary' }, 'Filter')),
  );
  filter.addEventListener('submit', (e) => {
    e.preventDefault();
    const s = filter.querySelector('[name=status]').value;
    navigate(s ? `/reports?status=${s}` : '/reports');
  });
  put(view, 
    pageHeader('Your publication reports', h('div', { class: 'header-actions' }, h('a', { class: 'btn btn-primary', href: '/reports/new' }, 'Report a publication'))),
    reportTabs('mine'),
    h(
      'p',
      { class: 'lead' },
      `The Data User Code of Conduct asks you to report every manuscript, preprint, abstract, poster or talk that uses program data at least ${NOTICE_DAYS} days before it appears. Reports are for communications planning, not scientific review; embargoes are honoured.`,
    ),
    filter,
    body,
  );
  const vars = { status, first: PAGE, after: null };
  const conn = (await gql(MINE, vars)).myPublicationReports;
  if (!conn.nodes.length) {
    replace(body, empty(status ? 'No reports with this status.' : 'You have not reported any publications yet.', h('p', {}, h('a', { class: 'btn btn-primary', href: '/reports/new' }, 'Report a publication'))));
    return;
  }
  const list = h('ul', { class: 'list', 'aria-label': 'Your reports' }, conn.nodes.map((r) => reportItem(r)));
  replace(body, list, loadMore(list, conn.pageInfo, async (after) => (await gql(MINE, { ...vars, after })).myPublicationReports, (r) => reportItem(r)));
}

// ---- the form -------------------------------------------------------------------------------------

/** Set by the workspaces module: resolves to the viewer's listings. */
let workspaceSource = null;
export function setReportWorkspaceSource(fn) {
  workspaceSource = fn;
}

function coAuthorRow(c, i, onRemove) {
  return h(
    'fieldset',
    { class: 'coauthor', dataset: { row: String(i) } },
    h('legend', {}, `Co-author ${i + 1}`),
    h(
      'div',
      { class: 'row' },
      field({ label: 'Handle on Research Commons', name: `coAuthors[${i}].userId`, value: c.handle || '', hint: 'If they are a member.', attrs: { autocomplete: 'off' } }),
      field({ label: 'Or their name', name: `coAuthors[${i}].name`, value: c.name || '' }),
      field({ label: 'Affiliation', name: `coAuthors[${i}].affiliation`, value: c.affiliation || '' }),
    ),
    h('button', { type: 'button', class: 'btn btn-small btn-danger', onclick: onRemove }, `Remove co-author ${i + 1}`),
  );
}

function coAuthorsEditor(initial) {
  const wrapper = h('fieldset', { class: 'field', dataset: { field: 'coAuthors' } }, h('legend', {}, 'Co-authors'));
  const box = h('div', {});
  const read = () =>
    [...box.querySelectorAll('fieldset.coauthor')].map((fs) => {
      const i = fs.dataset.row;
      const val = (n) => fs.querySelector(`[name="coAuthors[${i}].${n}"]`).value.trim();
      return { handle: val('userId').replace(/^@/, ''), name: val('name'), affiliation: val('affiliation') };
    });
  const draw = (rows, focus = null) => {
    replace(box, 
      ...rows.map((c, i) =>
        coAuthorRow(c, i, () => {
          const now = read();
          now.splice(i, 1);
          draw(now);
        }),
      ),
    );
    if (focus !== null) box.querySelectorAll('fieldset.coauthor input')[focus * 3]?.focus();
  };
  draw(initial);
  put(wrapper, 
    h('p', { class: 'hint' }, 'Give a member’s handle, or a name with an affiliation.'),
    box,
    h('button', { type: 'button', class: 'btn btn-secondary', onclick: () => { const now = read(); now.push({}); draw(now, now.length - 1); } }, 'Add a co-author'),
    h('p', { class: 'field-error', hidden: true }),
  );
  wrapper.read = read;
  return wrapper;
}

async function resolveHandles(rows) {
  const out = [];
  for (const c of rows) {
    if (!c.handle && !c.name && !c.affiliation) continue;
    if (c.handle) {
      const found = await gql('query FindCoAuthor($handle: String) { user(handle: $handle) { id } }', { handle: c.handle });
      if (!found.user) throw Object.assign(new Error(`No member has the handle @${c.handle}.`), { handleIndex: out.length });
      out.push({ userId: found.user.id });
    } else {
      out.push({ name: c.name, affiliation: c.affiliation });
    }
  }
  return out;
}

function dateOrNull(v) {
  return v ? v : null;
}

/** "2026-12-01T09:30" (local) -> RFC 3339; empty -> null. */
function localToIso(v) {
  if (!v) return null;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

function isoToLocal(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** Client-side checks that mirror the server's rules between dates. */
function checkDates(form, v) {
  let ok = true;
  if (v.submissionDate) {
    for (const name of ['publicationDate', 'presentationDate']) {
      if (v[name] && v[name] < v.submissionDate) {
        setFieldError(form, name, 'Must not be before the submission date.');
        ok = false;
      }
    }
  }
  if (!ok) form.querySelector('[aria-invalid="true"]')?.focus();
  return ok;
}

async function reportForm(view, existing) {
  const editing = Boolean(existing);
  const mine = workspaceSource ? await workspaceSource().catch(() => []) : [];
  const linkedIds = (existing?.workspaces || []).filter((w) => w.workspaceId).map((w) => String(w.workspaceId));
  const otherNamespaces = (existing?.workspaces || []).filter((w) => !w.workspaceId || !mine.some((m) => String(m.id) === String(w.workspaceId))).map((w) => w.namespace);
  const coAuthors = coAuthorsEditor(
    (existing?.coAuthors || []).map((c) => (c.user ? { handle: c.user.handle } : { name: c.name, affiliation: c.affiliation })),
  );
  const isFiled = editing && !existing.isDraft;
  const form = h(
    'form',
    { class: 'card form report-form' },
    h('h2', {}, 'The work'),
    field({ label: 'Type of output', name: 'type', type: 'select', required: true, value: existing?.type || 'JOURNAL_ARTICLE', options: options(TYPES) }),
    field({ label: 'Title', name: 'title', value: existing?.title || '', required: true, attrs: { maxlength: 500 } }),
    markdownField({ label: 'Summary or abstract', name: 'summary', value: existing?.summary || '', hint: 'Needed before filing.' }),
    field({ label: 'Venue', name: 'venue', value: existing?.venue || '', hint: 'Journal, conference or outlet. Needed before filing.', attrs: { maxlength: 300 } }),
    field({
      label: 'Expected status',
      name: 'status',
      type: 'select',
      value: existing?.status || 'PLANNED',
      options: options(STATUSES),
      hint: isFiled ? 'Changes are recorded in the report’s history.' : 'Where the work will be when you file.',
    }),
    h('h2', {}, 'Dates'),
    h('p', { class: 'hint' }, `File at least ${NOTICE_DAYS} days before the work first appears (its presentation or publication date, else its submission date).`),
    h(
      'div',
      { class: 'row' },
      field({ label: 'Submission date', name: 'submissionDate', type: 'date', value: existing?.submissionDate || '' }),
      field({ label: 'Presentation date', name: 'presentationDate', type: 'date', value: existing?.presentationDate || '' }),
      field({ label: 'Publication date', name: 'publicationDate', type: 'date', value: existing?.publicationDate || '' }),
    ),
    field({ label: 'Embargo until', name: 'embargoUntil', type: 'datetime-local', value: isoToLocal(existing?.embargoUntil), hint: 'Optional. The community list leaves the report out until then.' }),
    h('h2', {}, 'People'),
    field({
      label: 'Lead author (handle)',
      name: 'leadAuthorId',
      value: existing?.leadAuthor?.handle || '',
      hint: 'Leave empty if you are the lead author.',
      attrs: { autocomplete: 'off' },
    }),
    coAuthors,
    h('h2', {}, 'Data'),
    mine.length
      ? checkboxGroup({
          legend: 'Workspaces the work used',
          name: 'workspaces',
          options: mine.map((w) => ({ value: String(w.id), label: `${w.name} (${w.namespace})` })),
          values: linkedIds,
        })
      : null,
    field({
      label: mine.length ? 'Other Workbench namespaces' : 'Workbench namespaces the work used',
      name: 'namespaces',
      value: otherNamespaces.join(', '),
      hint: 'Separated by commas, e.g. aou-rw-1234abcd. At least one workspace is needed before filing.',
    }),
    h(
      'div',
      { class: 'row' },
      field({
        label: 'Data access tier',
        name: 'tier',
        type: 'select',
        value: existing?.tier || '',
        options: [{ value: '', label: 'Choose…' }, { value: 'REGISTERED', label: 'Registered Tier' }, { value: 'CONTROLLED', label: 'Controlled Tier' }],
      }),
      field({ label: 'CDR version', name: 'cdrVersion', value: existing?.cdrVersion || '', hint: 'Such as v7.' }),
    ),
    h('h2', {}, 'Checklist'),
    field({ label: 'The program’s acknowledgement statement is included', name: 'acknowledgementIncluded', type: 'checkbox', value: existing?.attestations?.acknowledgementIncluded }),
    field({ label: 'A data-availability statement names the tier and CDR version', name: 'dataAvailabilityIncluded', type: 'checkbox', value: existing?.attestations?.dataAvailabilityIncluded }),
    field({
      label: 'Data-availability statement',
      name: 'dataAvailabilityStatement',
      type: 'textarea',
      rows: 3,
      value: existing?.dataAvailabilityStatement || '',
      hint: 'Optional: paste it; it must name the tier and the CDR version.',
    }),
    field({
      label: 'The work complies with the Data and Statistics Dissemination Policy (no counts from 1 to 20)',
      name: 'compliesWithPolicy',
      type: 'checkbox',
      value: existing?.attestations?.compliesWithPolicy,
    }),
    field({
      label: 'Exemption request number',
      name: 'exemptionRequestId',
      value: existing?.exemptionRequestId || '',
      hint: 'If the work relies on a dissemination exemption, link the request.',
      attrs: { inputmode: 'numeric' },
    }),
    h('h2', {}, 'Identifiers'),
    h(
      'div',
      { class: 'row' },
      field({ label: 'DOI', name: 'doi', value: existing?.doi || '', attrs: { placeholder: '10.1000/xyz123' } }),
      field({ label: 'PMCID', name: 'pmcid', value: existing?.pmcid || '', attrs: { placeholder: 'PMC1234567' } }),
      field({ label: 'Link', name: 'url', type: 'url', value: existing?.url || '' }),
    ),
    h(
      'div',
      { class: 'actions' },
      isFiled
        ? h('button', { type: 'submit', class: 'btn btn-primary', value: 'save' }, 'Save changes')
        : [
            h('button', { type: 'submit', class: 'btn btn-primary', value: 'file' }, 'Save and file the report'),
            h('button', { type: 'submit', class: 'btn btn-secondary', value: 'save', formnovalidate: true }, 'Save as draft'),
          ],
      h('a', { href: editing ? reportPath(existing.id) : '/reports' }, 'Cancel'),
    ),
  );
  onSubmit(form, async (v, f, submitter) => {
    if (!checkDates(f, v)) return;
    let coAuthorInput;
    try {
      coAuthorInput = await resolveHandles(coAuthors.read());
    } catch (err) {
      if (err.handleIndex !== undefined) {
        setFieldError(f, `coAuthors[${err.handleIndex}].userId`, err.message);
        return;
      }
      throw err;
    }
    let leadAuthorId = null;
    const leadHandle = v.leadAuthorId.trim().replace(/^@/, '');
    if (leadHandle) {
      const found = await gql('query FindLead($handle: String) { user(handle: $handle) { id } }', { handle: leadHandle });
      if (!found.user) {
        setFieldError(f, 'leadAuthorId', `No member has the handle @${leadHandle}.`);
        return;
      }
      leadAuthorId = found.user.id;
    } else {
      leadAuthorId = session.user.id;
    }
    const namespaces = v.namespaces.split(',').map((s) => s.trim()).filter(Boolean);
    const input = {
      type: v.type,
      title: v.title.trim(),
      summary: v.summary,
      leadAuthorId,
      coAuthors: coAuthorInput,
      venue: v.venue.trim(),
      submissionDate: dateOrNull(v.submissionDate),
      presentationDate: dateOrNull(v.presentationDate),
      publicationDate: dateOrNull(v.publicationDate),
      workspaces: [...(v.workspaces || []).map((id) => ({ workspaceId: id })), ...namespaces.map((ns) => ({ namespace: ns }))],
      tier: orNull(v.tier),
      cdrVersion: v.cdrVersion.trim(),
      status: v.status,
      embargoUntil: localToIso(v.embargoUntil),
      doi: orNull(v.doi),
      pmcid: orNull(v.pmcid),
      url: orNull(v.url),
      exemptionRequestId: orNull(v.exemptionRequestId),
      acknowledgementIncluded: v.acknowledgementIncluded,
      dataAvailabilityIncluded: v.dataAvailabilityIncluded,
      compliesWithPolicy: v.compliesWithPolicy,
      dataAvailabilityStatement: v.dataAvailabilityStatement.trim(),
    };
    let id;
    if (editing) {
      id = (await gql('mutation UpdateReport($id: ID!, $input: PublicationReportInput!) { updatePublicationReport(id: $id, input: $input) { id } }', { id: existing.id, input })).updatePublicationReport.id;
    } else {
      id = (await gql('mutation CreateReport($input: PublicationReportInput!) { createPublicationReport(input: $input) { id } }', { input })).createPublicationReport.id;
    }
    if (submitter?.value === 'file') {
      try {
        const filed = await gql('mutation FileReport($id: ID!) { submitPublicationReport(id: $id) { late daysOfNotice notice } }', { id });
        const p = filed.submitPublicationReport;
        flash(p.notice, p.late ? 'error' : 'success');
      } catch (err) {
        // Saved as a draft; stay on the form with the missing field marked.
        if (!editing) {
          flash('Saved as a draft. Complete the marked field to file it.', 'info');
          sessionStorage.setItem('report-file-error', JSON.stringify({ field: err.field, message: err.serverMessage || err.message }));
          navigate(`${reportPath(id)}/edit`, { replace: true });
          return;
        }
        throw err;
      }
    } else {
      flash(isFiled ? 'Changes saved.' : 'Saved as a draft.', 'success');
    }
    navigate(reportPath(id));
  });
  put(view, form);
  // Coming back from a failed filing: show what was missing.
  const pending = sessionStorage.getItem('report-file-error');
  if (pending && editing) {
    sessionStorage.removeItem('report-file-error');
    try {
      const { field: name, message } = JSON.parse(pending);
      const shown = name && setFieldError(form, name, capitaliseSentence(stripField(message, name)));
      if (shown) form.querySelector('[aria-invalid="true"]')?.focus();
      else flash(message, 'error');
    } catch {
      // Nothing to show.
    }
  }
}

export async function newReportPage({ view }) {
  setTitle('Report a publication');
  put(view, 
    pageHeader('Report a publication or presentation'),
    h('p', { class: 'lead' }, 'Start with the type and title; you can save a draft and complete it later. Filing checks everything the program needs.'),
  );
  await reportForm(view, null);
}

export async function editReportPage({ view, params }) {
  const r = (await gql(`query ReportForEdit($id: ID!) { publicationReport(id: $id) { ${DETAIL} } }`, { id: params.id })).publicationReport;
  setTitle(`Edit: ${r.title}`);
  put(view, pageHeader(`Edit report: ${r.title}`));
  if (!r.viewerCanEdit) {
    put(view, h('p', { class: 'state state-error' }, 'Only the filer and the lead author can edit this report.'));
    return;
  }
  await reportForm(view, r);
}

// ---- a report ---------------------------------------------------------------------------------------

function lifecycle(r) {
  if (r.isDraft) return h('p', { class: 'meta' }, 'The history starts when the report is filed.');
  if (!r.statusHistory.length) return h('p', { class: 'meta' }, 'No status changes recorded.');
  return h(
    'ol',
    { class: 'timeline' },
    r.statusHistory.map((c) =>
      h(
        'li',
        { class: 'event' },
        h('p', { class: 'event-head' }, c.fromStatus ? `${label(STATUSES, c.fromStatus)} → ` : 'Filed as ', h('strong', {}, label(STATUSES, c.toStatus)), c.changedBy ? ` by ${c.changedBy.displayName}` : '', ' · ', time(c.changedAt)),
      ),
    ),
  );
}

function statusForm(r, refresh) {
  const form = h(
    'form',
    { class: 'form inline-form' },
    field({ label: 'Move to', name: 'status', type: 'select', value: r.status, options: options(STATUSES) }),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn btn-secondary' }, 'Update status')),
  );
  onSubmit(form, async (v) => {
    await gql('mutation SetStatus($id: ID!, $status: PublicationStatus!) { setPublicationReportStatus(id: $id, status: $status) { id } }', { id: r.id, status: v.status });
    flash('Status updated.', 'success');
    refresh();
  });
  return form;
}

export async function reportPage({ view, params }) {
  const load = async () => (await gql(`query Report($id: ID!) { publicationReport(id: $id) { ${DETAIL} } }`, { id: params.id })).publicationReport;
  const draw = (r) => {
    setTitle(r.title);
    const refresh = async () => show(view, draw(await load()));
    const actions = [];
    if (r.viewerCanEdit) {
      actions.push(h('p', {}, h('a', { class: 'btn', href: `${reportPath(r.id)}/edit` }, r.isDraft ? 'Edit and file' : 'Edit report')));
      if (r.isDraft) {
        actions.push(
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
                    const p = (await gql('mutation FileReport($id: ID!) { submitPublicationReport(id: $id) { late notice } }', { id: r.id })).submitPublicationReport;
                    flash(p.notice, p.late ? 'error' : 'success');
                    refresh();
                  } catch (err) {
                    flash(err.message, 'error');
                    b.disabled = false;
                  }
                },
              },
              'File the report',
            ),
          ),
          h(
            'p',
            {},
            h(
              'button',
              {
                type: 'button',
                class: 'btn btn-danger',
                onclick: async () => {
                  if (!confirmAction('Delete this draft?')) return;
                  try {
                    await gql('mutation DeleteReport($id: ID!) { deletePublicationReport(id: $id) }', { id: r.id });
                    flash('Draft deleted.', 'success');
                    navigate('/reports');
                  } catch (err) {
                    flash(err.message, 'error');
                  }
                },
              },
              'Delete draft',
            ),
          ),
        );
      } else {
        actions.push(h('h3', {}, 'Lifecycle'), statusForm(r, refresh));
      }
    }
    const a = r.attestations;
    return [
      h('p', { class: 'breadcrumbs' }, h('a', { href: '/reports' }, '← Your reports')),
      pageHeader(r.title, h('div', { class: 'badges' }, statusBadge(r), r.late ? badge('Filed late', 'danger') : null)),
      r.filedAt && r.daysOfNotice != null
        ? h('p', { class: ['state', r.late ? 'state-warn' : 'state-success'] }, r.late ? `Filed ${formatDateTime(r.filedAt)} with ${r.daysOfNotice} days' notice: less than the ${NOTICE_DAYS} days the program asks for.` : `Filed ${formatDateTime(r.filedAt)} with ${r.daysOfNotice} days' notice.`)
        : null,
      h(
        'div',
        { class: 'grid-2' },
        h(
          'div',
          { class: 'stack' },
          h('section', { class: 'card', 'aria-labelledby': 'sum-h' }, h('h2', { id: 'sum-h' }, 'Summary'), r.summaryHtml ? serverHtml(r.summaryHtml) : empty('No summary yet.')),
          a
            ? h(
                'section',
                { class: 'card', 'aria-labelledby': 'check-h' },
                h('h2', { id: 'check-h' }, 'Checklist'),
                h(
                  'ul',
                  { class: 'checklist' },
                  h('li', {}, a.acknowledgementIncluded ? '✔ ' : '✘ ', 'Acknowledgement statement included'),
                  h('li', {}, a.dataAvailabilityIncluded ? '✔ ' : '✘ ', 'Data-availability statement names the tier and CDR version'),
                  h('li', {}, a.compliesWithPolicy ? '✔ ' : '✘ ', 'Complies with the dissemination policy', !a.compliesWithPolicy && r.exemptionRequestId ? ' (relies on an exemption)' : ''),
                ),
                r.dataAvailabilityStatement ? h('blockquote', { class: 'quote' }, r.dataAvailabilityStatement) : null,
              )
            : null,
          h('section', { class: 'card', 'aria-labelledby': 'life-h' }, h('h2', { id: 'life-h' }, 'History'), lifecycle(r)),
        ),
        h(
          'aside',
          { class: 'sidebar stack', 'aria-label': 'Report details' },
          h(
            'section',
            { class: 'card' },
            h('h2', {}, 'Details'),
            h(
              'dl',
              { class: 'facts facts-stacked' },
              h('dt', {}, 'Type'),
              h('dd', {}, label(TYPES, r.type)),
              h('dt', {}, 'Venue'),
              h('dd', {}, r.venue || '—'),
              h('dt', {}, 'Lead author'),
              h('dd', {}, r.leadAuthor ? r.leadAuthor.displayName : '—'),
              h('dt', {}, 'Co-authors'),
              h('dd', {}, r.coAuthors.length ? h('ul', { class: 'plain-list' }, r.coAuthors.map((c) => h('li', {}, c.name, c.affiliation ? ` (${c.affiliation})` : ''))) : 'None'),
              h('dt', {}, 'Dates'),
              h(
                'dd',
                {},
                h(
                  'ul',
                  { class: 'plain-list' },
                  r.submissionDate ? h('li', {}, `Submitted ${formatDate(r.submissionDate)}`) : null,
                  r.presentationDate ? h('li', {}, `Presented ${formatDate(r.presentationDate)}`) : null,
                  r.publicationDate ? h('li', {}, `Published ${formatDate(r.publicationDate)}`) : null,
                  r.dueDate ? h('li', {}, h('strong', {}, `First appears ${formatDate(r.dueDate)}`)) : null,
                ),
              ),
              h('dt', {}, 'Data'),
              h('dd', {}, r.tier ? `${enumLabel(r.tier)} Tier` : 'Tier not given', r.cdrVersion ? `, CDR ${r.cdrVersion}` : ''),
              h('dt', {}, 'Workspaces'),
              h('dd', {}, r.workspaces.length ? h('ul', { class: 'plain-list' }, r.workspaces.map((w) => h('li', {}, w.workspaceId ? h('a', { href: `/workspaces/${w.workspaceId}` }, w.namespace) : w.namespace))) : 'None'),
              r.embargoUntil ? [h('dt', {}, 'Embargo until'), h('dd', {}, formatDateTime(r.embargoUntil))] : null,
              r.exemptionRequestId ? [h('dt', {}, 'Exemption request'), h('dd', {}, h('a', { href: `/exemptions/${r.exemptionRequestId}` }, `#${r.exemptionRequestId}`))] : null,
              r.doi ? [h('dt', {}, 'DOI'), h('dd', {}, r.doiUrl ? h('a', { href: r.doiUrl, rel: 'noopener noreferrer' }, r.doi) : r.doi)] : null,
              r.pmcid ? [h('dt', {}, 'PMCID'), h('dd', {}, r.pmcid)] : null,
              r.url ? [h('dt', {}, 'Link'), h('dd', {}, h('a', { href: r.url, rel: 'noopener noreferrer' }, r.url))] : null,
              h('dt', {}, 'Filed by'),
              h('dd', {}, r.filer ? r.filer.displayName : '—'),
            ),
          ),
          actions.length ? h('section', { class: 'card actions-card' }, h('h2', {}, 'Actions'), ...actions) : null,
        ),
      ),
    ];
  };
  show(view, draw(await load()));
}

// ---- staff view ---------------------------------------------------------------------------------------

const STAFF = `query StaffReports($filter: PublicationReportFilter, $first: Int, $after: String) {
  publicationReports(filter: $filter, first: $first, after: $after) { pageInfo { hasNextPage endCursor } nodes { ${SUMMARY} } }
}`;

export async function staffReportsPage({ view, query }) {
  setTitle('Filed publication reports');
  const pick = (name, pairs) => (pairs.some(([k]) => k === query.get(name)) ? query.get(name) : null);
  const filter = {
    status: pick('status', STATUSES),
    type: pick('type', TYPES),
    dateFrom: query.get('from') || null,
    dateTo: query.get('to') || null,
    tier: pick('tier', [['REGISTERED'], ['CONTROLLED']]),
    late: query.get('late') === 'yes' ? true : query.get('late') === 'no' ? false : null,
  };
  const form = h(
    'form',
    { class: 'card form', role: 'search', 'aria-label': 'Filter reports' },
    h(
      'div',
      { class: 'filters' },
      field({ label: 'Status', name: 'status', type: 'select', value: filter.status || '', options: [{ value: '', label: 'Any' }, ...options(STATUSES)] }),
      field({ label: 'Type', name: 'type', type: 'select', value: filter.type || '', options: [{ value: '', label: 'Any' }, ...options(TYPES)] }),
      field({ label: 'Tier', name: 'tier', type: 'select', value: filter.tier || '', options: [{ value: '', label: 'Any' }, { value: 'REGISTERED', label: 'Registered' }, { value: 'CONTROLLED', label: 'Controlled' }] }),
      field({ label: 'Notice', name: 'late', type: 'select', value: query.get('late') || '', options: [{ value: '', label: 'Any' }, { value: 'yes', label: 'Filed late' }, { value: 'no', label: 'On time' }] }),
      field({ label: 'Appears from', name: 'from', type: 'date', value: filter.dateFrom || '' }),
      field({ label: 'Appears until', name: 'to', type: 'date', value: filter.dateTo || '' }),
    ),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, 'Apply filters'), h('a', { href: '/staff/reports' }, 'Clear')),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const params = new URLSearchParams();
    for (const name of ['status', 'type', 'tier', 'late', 'from', 'to']) {
      const value = form.querySelector(`[name=${name}]`).value;
      if (value) params.set(name, value);
    }
    const qs = params.toString();
    navigate(`/staff/reports${qs ? `?${qs}` : ''}`);
  });
  const csvButton = h(
    'button',
    {
      type: 'button',
      class: 'btn btn-secondary',
      onclick: async (e) => {
        const b = e.currentTarget;
        b.disabled = true;
        try {
          const csv = (await gql('query ReportsCsv($filter: PublicationReportFilter) { publicationReportsCsv(filter: $filter) }', { filter })).publicationReportsCsv;
          const url = URL.createObjectURL(new Blob([csv], { type: 'text/csv' }));
          const a = h('a', { href: url, download: 'publication-reports.csv', 'data-external': '' });
          put(document.body, a);
          a.click();
          a.remove();
          setTimeout(() => URL.revokeObjectURL(url), 10_000);
        } catch (err) {
          flash(err.message, 'error');
        } finally {
          b.disabled = false;
        }
      },
    },
    'Download CSV',
  );
  const body = h('div', {}, loading());
  put(view, pageHeader('Filed publication reports', h('div', { class: 'header-actions' }, csvButton)), reportTabs('staff'), form, body);
  const vars = { filter, first: PAGE, after: null };
  const conn = (await gql(STAFF, vars)).publicationReports;
  if (!conn.nodes.length) {
    replace(body, empty('No filed reports match these filters.'));
    return;
  }
  const item = (r) => reportItem(r, { staff: true });
  const list = h('ul', { class: 'list', 'aria-label': 'Filed reports' }, conn.nodes.map(item));
  replace(body, list, loadMore(list, conn.pageInfo, async (after) => (await gql(STAFF, { ...vars, after })).publicationReports, item));
}

// ---- community list --------------------------------------------------------------------------------------

const RECENT = `query RecentPublications($first: Int, $after: String) {
  recentPublications(first: $first, after: $after) { pageInfo { hasNextPage endCursor } nodes { ${SUMMARY} publicationDate doiUrl doi } }
}`;

export async function communityPublicationsPage({ view }) {
  setTitle('Community publications');
  const body = h('div', {}, loading());
  put(view, pageHeader('Community publications'), reportTabs('community'), h('p', { class: 'lead' }, 'Recently published work that used program data.'), body);
  const conn = (await gql(RECENT, { first: PAGE, after: null })).recentPublications;
  const item = (r) =>
    h(
      'li',
      {},
      h('a', { class: 'list-title', href: reportPath(r.id) }, r.title),
      h('p', { class: 'meta' }, label(TYPES, r.type), r.venue ? ` · ${r.venue}` : '', r.publicationDate ? ` · ${formatDate(r.publicationDate)}` : '', r.leadAuthor ? ` · ${r.leadAuthor.displayName}` : ''),
      r.doiUrl ? h('p', {}, h('a', { href: r.doiUrl, rel: 'noopener noreferrer' }, `doi:${r.doi}`)) : null,
    );
  if (!conn.nodes.length) {
    replace(body, empty('No publications yet.'));
    return;
  }
  const list = h('ul', { class: 'list' }, conn.nodes.map(item));
  replace(body, list, loadMore(list, conn.pageInfo, async (after) => (await gql(RECENT, { first: PAGE, after })).recentPublications, item));
}
