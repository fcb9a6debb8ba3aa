// Small DOM helpers. All user-supplied text goes in through textContent;
// the only HTML ever parsed is the server's sanitized output (serverHtml).

import { ApiError, fieldLabel, stripField } from './api.js';

let idCounter = 0;
export function uid(prefix = 'id') {
  idCounter += 1;
  return `${prefix}-${idCounter}`;
}

/**
 * h('a', { href: '/x', class: 'btn', onclick: fn }, 'text', child, [more])
 * Props: class, text, dataset, on<event> handlers, boolean attributes,
 * everything else becomes an attribute. Children: strings (as text), nodes,
 * arrays, or null/false (skipped).
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'class') el.className = Array.isArray(value) ? value.filter(Boolean).join(' ') : value;
    else if (key === 'text') el.textContent = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'value' && 'value' in el) el.value = value;
    else if (key === 'checked' || key === 'selected' || key === 'disabled' || key === 'hidden' || key === 'multiple') {
      el[key] = Boolean(value);
    } else if (value === true) el.setAttribute(key, '');
    else el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** el.append(...) that skips null and false (DOM append would print "null"). */
export function put(el, ...children) {
  return append(el, children);
}

/** el.replaceChildren(...) that skips null and false. */
export function replace(el, ...children) {
  clear(el);
  return append(el, children);
}

/** Replaces an element's children; null and false entries are skipped. */
export function show(el, children) {
  clear(el);
  return append(el, [children]);
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

/**
 * Inserts HTML that the server rendered and sanitized (fields named *Html).
 * Never call this with anything else.
 */
export function serverHtml(html, tag = 'div', className = 'prose') {
  const el = h(tag, { class: className });
  el.innerHTML = typeof html === 'string' ? html : '';
  for (const a of el.querySelectorAll('a[href]')) {
    const href = a.getAttribute('href') || '';
    if (/^https?:\/\//i.test(href) && !href.startsWith(window.location.origin)) {
      a.setAttribute('rel', 'noopener noreferrer nofollow');
    }
  }
  return el;
}

// ---- states -----------------------------------------------------------------

export function loading(text = 'Loading…') {
  return h('p', { class: 'state state-loading', role: 'status' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), text);
}

export function empty(text, ...extra) {
  return h('div', { class: 'state state-empty' }, h('p', {}, text), ...extra);
}

export function errorBox(err, retry) {
  const message = err instanceof ApiError ? err.message : 'Something went wrong while loading this page. Please try again.';
  if (!(err instanceof ApiError)) console.error(err);
  const box = h('div', { class: 'state state-error', role: 'alert' }, h('p', {}, message));
  if (err instanceof ApiError && err.code === 'UNAUTHENTICATED') {
    const next = window.location.pathname + window.location.search;
    box.append(h('p', {}, h('a', { class: 'btn', href: `/sign-in?next=${encodeURIComponent(next)}` }, 'Sign in')));
  } else if (retry) {
    box.append(h('p', {}, h('button', { type: 'button', class: 'btn', onclick: retry }, 'Try again')));
  }
  return box;
}

/**
 * Renders `load()`'s result into `container` with loading and error states.
 * `render(data)` returns nodes. Returns a function that reloads.
 */
export function loadInto(container, load, render) {
  const run = async () => {
    clear(container);
    container.setAttribute('aria-busy', 'true');
    container.append(loading());
    try {
      const data = await load();
      clear(container);
      append(container, [render(data)]);
    } catch (err) {
      clear(container);
      container.append(errorBox(err, run));
    } finally {
      container.removeAttribute('aria-busy');
    }
  };
  run();
  return run;
}

// ---- flash messages ------------------------------------------------------------

export function flash(message, kind = 'info') {
  const region = document.getElementById('flash');
  if (!region) return;
  const item = h(
    'div',
    { class: `flash flash-${kind}` },
    h('p', {}, message),
    h('button', { type: 'button', class: 'link-button', 'aria-label': 'Dismiss message', onclick: () => item.remove() }, '×'),
  );
  region.append(item);
  setTimeout(() => item.remove(), 8000);
}

// ---- forms ---------------------------------------------------------------------

/**
 * A labelled control with a hint and an error slot wired by aria-describedby.
 * kind: input type, or 'textarea' / 'select' (with options [{value,label}]).
 */
export function field({ label, name, type = 'text', value = '', required = false, hint = '', options = [], attrs = {}, rows = 6 }) {
  const id = uid(`f-${name.replace(/[^a-z0-9]/gi, '')}`);
  const hintId = hint ? `${id}-hint` : null;
  const errorId = `${id}-error`;
  let control;
  const common = { id, name, required, 'aria-describedby': [hintId, errorId].filter(Boolean).join(' '), ...attrs };
  if (type === 'textarea') {
    control = h('textarea', { ...common, rows }, value);
  } else if (type === 'select') {
    control = h(
      'select',
      common,
      options.map((o) => h('option', { value: o.value, selected: String(o.value) === String(value) }, o.label)),
    );
  } else if (type === 'checkbox') {
    control = h('input', { ...common, type, checked: Boolean(value) });
    return h(
      'div',
      { class: 'field field-check', dataset: { field: name } },
      control,
      h('label', { for: id }, label, required ? h('span', { class: 'req', 'aria-hidden': 'true' }, ' *') : null),
      hint ? h('p', { class: 'hint', id: hintId }, hint) : null,
      h('p', { class: 'field-error', id: errorId, hidden: true }),
    );
  } else {
    control = h('input', { ...common, type, value });
  }
  return h(
    'div',
    { class: 'field', dataset: { field: name } },
    h('label', { for: id }, label, required ? h('span', { class: 'req', 'aria-hidden': 'true' }, ' *') : null),
    hint ? h('p', { class: 'hint', id: hintId }, hint) : null,
    control,
    h('p', { class: 'field-error', id: errorId, hidden: true }),
  );
}

/** A group of checkboxes sharing a name, in a fieldset with a legend. */
export function checkboxGroup({ legend, name, options, values = [], hint = '' }) {
  const hintId = hint ? uid('hint') : null;
  return h(
    'fieldset',
    { class: 'field checkbox-group', dataset: { field: name }, 'aria-describedby': hintId },
    h('legend', {}, legend),
    hint ? h('p', { class: 'hint', id: hintId }, hint) : null,
    h(
      'div',
      { class: 'checks' },
      options.map((o) => {
        const id = uid(`cb-${name}`);
        return h(
          'div',
          { class: 'check' },
          h('input', { type: 'checkbox', id, name, value: o.value, checked: values.includes(o.value) }),
          h('label', { for: id }, o.label),
        );
      }),
    ),
    h('p', { class: 'field-error', hidden: true }),
  );
}

/** The form-level alert box, created on first use. */
function formAlert(form) {
  let box = form.querySelector(':scope > .form-alert');
  if (!box) {
    box = h('div', { class: 'form-alert', role: 'alert', tabindex: '-1', hidden: true });
    form.prepend(box);
  }
  return box;
}

export function clearErrors(form) {
  for (const p of form.querySelectorAll('.field-error')) {
    p.textContent = '';
    p.hidden = true;
  }
  for (const c of form.querySelectorAll('[aria-invalid]')) c.removeAttribute('aria-invalid');
  const box = form.querySelector(':scope > .form-alert');
  if (box) {
    box.hidden = true;
    clear(box);
  }
}

/** Finds the wrapper of a field the server named (exact, or by last path segment). */
function findField(form, name) {
  if (!name) return null;
  const wrappers = [...form.querySelectorAll('[data-field]')];
  const last = name.split('.').pop();
  // "cells[2].countMax" -> "cells", for lists whose rows have no own slot.
  const base = name.split(/[.[]/)[0];
  return (
    wrappers.find((w) => w.dataset.field === name) ||
    wrappers.find((w) => w.dataset.field === last) ||
    wrappers.find((w) => w.dataset.field.toLowerCase() === last.toLowerCase()) ||
    wrappers.find((w) => w.dataset.field === base) ||
    null
  );
}

export function setFieldError(form, name, message) {
  const wrapper = findField(form, name);
  if (!wrapper) return false;
  const p = wrapper.querySelector('.field-error');
  const control = wrapper.querySelector('input, textarea, select');
  p.textContent = message;
  p.hidden = false;
  if (control) {
    control.setAttribute('aria-invalid', 'true');
  }
  return true;
}

/** Shows an error on a form: beside the named field when there is one, else on top. */
export function showFormError(form, err) {
  const apiErr = err instanceof ApiError ? err : new ApiError('Something went wrong. Please try again.');
  if (!(err instanceof ApiError)) console.error(err);
  const errors = apiErr.all || [apiErr];
  let firstControl = null;
  const general = [];
  for (const e of errors) {
    const message = e.field ? capitaliseSentence(stripField(e.serverMessage, e.field)) : e.message;
    if (e.field && setFieldError(form, e.field, message)) {
      firstControl ||= findField(form, e.field)?.querySelector('input, textarea, select');
    } else {
      general.push(e.message);
    }
  }
  if (general.length) {
    const box = formAlert(form);
    clear(box);
    append(box, general.map((m) => h('p', {}, m)));
    box.hidden = false;
    box.focus();
  } else if (firstControl) {
    firstControl.focus();
  }
}

export function capitaliseSentence(text) {
  const t = String(text || '').trim();
  const s = t.charAt(0).toUpperCase() + t.slice(1);
  return /[.!?]$/.test(s) ? s : `${s}.`;
}

/** Client-side check before sending; returns true when the form is fine. */
export function checkRequired(form) {
  clearErrors(form);
  let first = null;
  for (const control of form.querySelectorAll('input[required], textarea[required], select[required]')) {
    const v = control.type === 'checkbox' ? control.checked : control.value.trim();
    if (!v) {
      const wrapper = control.closest('[data-field]');
      const label = wrapper?.querySelector('label, legend')?.textContent.replace(/\s*\*$/, '') || fieldLabel(control.name);
      setFieldError(
        form,
        wrapper?.dataset.field || control.name,
        control.type === 'checkbox' ? 'Please confirm this to continue.' : `${label} is required.`,
      );
      first ||= control;
    }
  }
  if (first) first.focus();
  return !first;
}

/**
 * Wires a form: validates required fields, disables the submit button while
 * `action(values, form)` runs, and shows errors where they belong.
 */
export function onSubmit(form, action, { busyText = 'Saving…' } = {}) {
  form.noValidate = true;
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (form.dataset.busy) return;
    // A button with formnovalidate (such as "Save as draft") leaves the
    // completeness checks to the server.
    if (event.submitter?.hasAttribute('formnovalidate')) clearErrors(form);
    else if (!checkRequired(form)) return;
    const button = event.submitter || form.querySelector('button[type=submit]');
    const label = button?.textContent;
    form.dataset.busy = '1';
    form.setAttribute('aria-busy', 'true');
    if (button) {
      button.disabled = true;
      button.textContent = busyText;
    }
    try {
      await action(formValues(form), form, event.submitter);
    } catch (err) {
      showFormError(form, err);
    } finally {
      delete form.dataset.busy;
      form.removeAttribute('aria-busy');
      if (button && button.isConnected) {
        button.disabled = false;
        button.textContent = label;
      }
    }
  });
  return form;
}

/** Values by name; checkbox groups become arrays, single checkboxes booleans. */
export function formValues(form) {
  const values = {};
  const names = new Set([...form.elements].map((e) => e.name).filter(Boolean));
  for (const name of names) {
    const controls = [...form.elements].filter((e) => e.name === name);
    if (controls[0].type === 'checkbox') {
      values[name] = controls.length > 1 || controls[0].closest('.checkbox-group')
        ? controls.filter((c) => c.checked).map((c) => c.value)
        : controls[0].checked;
    } else if (controls[0].type === 'radio') {
      values[name] = controls.find((c) => c.checked)?.value ?? null;
    } else {
      values[name] = controls[0].value;
    }
  }
  return values;
}

/** Empty strings become null (for optional GraphQL arguments). */
export function orNull(value) {
  const v = typeof value === 'string' ? value.trim() : value;
  return v === '' || v === undefined ? null : v;
}

// ---- text and time ------------------------------------------------------------------

const dateFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });
const dateTimeFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export function formatDate(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : dateFmt.format(d);
}

export function formatDateTime(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : dateTimeFmt.format(d);
}

export function timeAgo(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const s = Math.round((Date.now() - d.getTime()) / 1000);
  if (s < 45) return 'just now';
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min ago`;
  const hrs = Math.round(m / 60);
  if (hrs < 24) return `${hrs} h ago`;
  const days = Math.round(hrs / 24);
  if (days < 30) return `${days} d ago`;
  return formatDate(iso);
}

/** <time> with relative text and the exact date as its title. */
export function time(iso, { relative = true } = {}) {
  if (!iso) return null;
  return h('time', { datetime: iso, title: formatDateTime(iso) }, relative ? timeAgo(iso) : formatDateTime(iso));
}

/** "SUBMITTED" / "changes_requested" -> "Submitted" / "Changes requested". */
export function enumLabel(value) {
  const s = String(value || '').replace(/_/g, ' ').toLowerCase();
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export function badge(text, kind = '') {
  return h('span', { class: ['badge', kind && `badge-${kind}`] }, text);
}

export function plural(n, one, many = `${one}s`) {
  return `${n} ${n === 1 ? one : many}`;
}

export function pageHeader(title, ...extra) {
  return h('div', { class: 'page-header' }, h('h1', { tabindex: '-1' }, title), ...extra);
}

/** A "Load more" button for Relay connections: calls more(after) and appends. */
export function loadMore(list, pageInfo, fetchPage, renderItem) {
  const wrap = h('div', { class: 'load-more' });
  let info = pageInfo;
  const button = h('button', { type: 'button', class: 'btn btn-secondary' }, 'Load more');
  button.addEventListener('click', async () => {
    button.disabled = true;
    button.textContent = 'Loading…';
    try {
      const conn = await fetchPage(info.endCursor);
      for (const node of conn.nodes) list.append(renderItem(node));
      info = conn.pageInfo;
      if (!info.hasNextPage) wrap.remove();
    } catch (err) {
      flash(err.message || 'Could not load more.', 'error');
    } finally {
      button.disabled = false;
      button.textContent = 'Load more';
    }
  });
  wrap.append(button);
  if (!pageInfo?.hasNextPage) wrap.hidden = true;
  return wrap;
}

/** Tabs as links (real URLs, so they deep-link and survive reloads). */
export function tabLinks(label, items, current) {
  return h(
    'nav',
    { class: 'tabs', 'aria-label': label },
    h(
      'ul',
      {},
      items.map((it) =>
        h('li', {}, h('a', { href: it.href, 'aria-current': it.key === current ? 'page' : null }, it.label)),
      ),
    ),
  );
}

/** Confirm with the browser's dialog (keyboard-accessible, no extra markup). */
export function confirmAction(message) {
  return window.confirm(message);
}
