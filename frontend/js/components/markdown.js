// A markdown text area with Write / Preview tabs. The preview is rendered by
// the server (the same sanitizer as for saved posts), never in the browser.

import {
  h,
  replace,
  serverHtml,
  uid,
} from '../ui.js';

let previewer = null;

/** Sets the function that turns markdown into the server's sanitized HTML. */
export function setMarkdownPreviewer(fn) {
  previewer = fn;
}

/**
 * A labelled markdown field. Returns the wrapper; the textarea is
 * `wrapper.textarea`. Options as for ui.field plus `placeholder`.
 */
export function markdownField({ label, name, value = '', required = false, hint = '', rows = 8, placeholder = '', maxlength = null }) {
  const id = uid(`md-${name.replace(/[^a-z0-9]/gi, '')}`);
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const textarea = h(
    'textarea',
    {
      id,
      name,
      rows,
      required,
      placeholder: placeholder || null,
      maxlength,
      'aria-describedby': `${hintId} ${errorId}`,
    },
    value,
  );
  const previewBox = h('div', { class: 'md-preview', id: `${id}-preview`, role: 'tabpanel', 'aria-labelledby': `${id}-tab-preview`, hidden: true });
  const writeTab = h('button', { type: 'button', role: 'tab', id: `${id}-tab-write`, 'aria-selected': 'true', 'aria-controls': id }, 'Write');
  const previewTab = h('button', { type: 'button', role: 'tab', id: `${id}-tab-preview`, 'aria-selected': 'false', 'aria-controls': previewBox.id, tabindex: '-1' }, 'Preview');

  const showWrite = () => {
    writeTab.setAttribute('aria-selected', 'true');
    previewTab.setAttribute('aria-selected', 'false');
    writeTab.removeAttribute('tabindex');
    previewTab.setAttribute('tabindex', '-1');
    textarea.hidden = false;
    previewBox.hidden = true;
  };
  const showPreview = async () => {
    writeTab.setAttribute('aria-selected', 'false');
    previewTab.setAttribute('aria-selected', 'true');
    previewTab.removeAttribute('tabindex');
    writeTab.setAttribute('tabindex', '-1');
    textarea.hidden = true;
    previewBox.hidden = false;
    replace(previewBox, h('p', { class: 'meta' }, 'Rendering preview…'));
    if (!textarea.value.trim()) {
      replace(previewBox, h('p', { class: 'meta' }, 'Nothing to preview yet.'));
      return;
    }
    try {
      const html = await previewer(textarea.value);
      replace(previewBox, serverHtml(html));
    } catch (err) {
      replace(previewBox, h('p', { class: 'field-error' }, err.message || 'The preview is unavailable.'));
    }
  };
  writeTab.addEventListener('click', showWrite);
  previewTab.addEventListener('click', showPreview);
  // Arrow keys move between the two tabs, as in any tab list.
  const tablist = h('div', { class: 'md-tabs', role: 'tablist', 'aria-label': 'Write or preview' }, writeTab, previewTab);
  tablist.addEventListener('keydown', (e) => {
    if (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight') return;
    e.preventDefault();
    if (writeTab.getAttribute('aria-selected') === 'true') {
      showPreview();
      previewTab.focus();
    } else {
      showWrite();
      writeTab.focus();
    }
  });
  const wrapper = h(
    'div',
    { class: 'field md-field', dataset: { field: name } },
    h('label', { for: id }, label, required ? h('span', { class: 'req', 'aria-hidden': 'true' }, ' *') : null),
    h('p', { class: 'hint', id: hintId }, hint ? `${hint} ` : '', 'Markdown works: **bold**, _italic_, `code`, lists, > quotes and [links](https://example.org).'),
    previewer ? tablist : null,
    textarea,
    previewer ? previewBox : null,
    h('p', { class: 'field-error', id: errorId, hidden: true }),
  );
  wrapper.textarea = textarea;
  wrapper.showWrite = showWrite;
  return wrapper;
}

/** Inserts text at the end of a textarea (quote replies), and focuses it. */
export function appendToTextarea(textarea, text) {
  const current = textarea.value.replace(/\s+$/, '');
  textarea.value = current ? `${current}\n\n${text}` : text;
  textarea.focus();
  textarea.setSelectionRange(textarea.value.length, textarea.value.length);
  textarea.dispatchEvent(new Event('input', { bubbles: true }));
}

/** "line one\nline two" -> "> line one\n> line two" with an attribution. */
export function quoteMarkdown(text, author) {
  const quoted = String(text || '')
    .trim()
    .split('\n')
    .map((line) => `> ${line}`)
    .join('\n');
  return author ? `> **@${author}** wrote:\n>\n${quoted}\n\n` : `${quoted}\n\n`;
}
