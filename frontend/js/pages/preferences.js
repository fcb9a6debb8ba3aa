// Email preferences: the digest's frequency and timing, and which events
// send an email at once. Shown on the profile page.

import { gql } from '../api.js';
import {
  field,
  flash,
  formatDateTime,
  h,
  onSubmit,
  replace,
} from '../ui.js';

const FIELDS = 'digestFrequency digestHour digestWeekday timeZone emailMentions emailReplies emailDecisions lastDigestAt';
const WEEKDAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

function hourLabel(hour) {
  return `${String(hour).padStart(2, '0')}:00`;
}

function timeZones(current) {
  let zones = [];
  try {
    zones = Intl.supportedValuesOf('timeZone');
  } catch {
    zones = [];
  }
  if (current && !zones.includes(current)) zones = [current, ...zones];
  return zones;
}

/** Renders the preferences card into `container`. */
export async function preferencesSection(container) {
  const data = await gql(`query Preferences { preferences { ${FIELDS} } }`);
  const p = data.preferences;
  const zones = timeZones(p.timeZone);
  const listId = 'time-zone-list';
  const weekday = field({
    label: 'Day of the weekly digest',
    name: 'digestWeekday',
    type: 'select',
    value: p.digestWeekday,
    options: WEEKDAYS.map((d, i) => ({ value: i, label: d })),
  });
  const frequency = field({
    label: 'Digest email',
    name: 'digestFrequency',
    type: 'select',
    value: p.digestFrequency,
    hint: 'A summary of new activity in the threads, categories and workspaces you follow.',
    options: [
      { value: 'OFF', label: 'Off' },
      { value: 'DAILY', label: 'Daily' },
      { value: 'WEEKLY', label: 'Weekly' },
    ],
  });
  const syncWeekday = () => {
    weekday.hidden = frequency.querySelector('select').value !== 'WEEKLY';
  };
  frequency.querySelector('select').addEventListener('change', syncWeekday);
  syncWeekday();
  const form = h(
    'form',
    { class: 'form', 'aria-labelledby': 'prefs-h' },
    frequency,
    weekday,
    h(
      'div',
      { class: 'row' },
      field({
        label: 'Hour to send it',
        name: 'digestHour',
        type: 'select',
        value: p.digestHour,
        options: Array.from({ length: 24 }, (_, i) => ({ value: i, label: hourLabel(i) })),
      }),
      field({
        label: 'Time zone',
        name: 'timeZone',
        value: p.timeZone,
        required: true,
        hint: 'An IANA name such as America/Chicago.',
        attrs: { list: listId, autocomplete: 'off', spellcheck: 'false' },
      }),
    ),
    h('datalist', { id: listId }, zones.map((z) => h('option', { value: z }))),
    h(
      'fieldset',
      {},
      h('legend', {}, 'Email me at once when'),
      field({ label: 'someone mentions me', name: 'emailMentions', type: 'checkbox', value: p.emailMentions }),
      field({ label: 'someone replies to me or in a thread I follow', name: 'emailReplies', type: 'checkbox', value: p.emailReplies }),
      field({ label: 'a decision is made on my requests and reports', name: 'emailDecisions', type: 'checkbox', value: p.emailDecisions }),
    ),
    p.lastDigestAt ? h('p', { class: 'meta' }, `Last digest sent ${formatDateTime(p.lastDigestAt)}.`) : null,
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, 'Save preferences')),
  );
  onSubmit(form, async (v) => {
    await gql(`mutation UpdatePreferences($input: PreferencesInput!) { updatePreferences(input: $input) { ${FIELDS} } }`, {
      input: {
        digestFrequency: v.digestFrequency,
        digestHour: Number(v.digestHour),
        digestWeekday: Number(v.digestWeekday),
        timeZone: v.timeZone.trim(),
        emailMentions: v.emailMentions,
        emailReplies: v.emailReplies,
        emailDecisions: v.emailDecisions,
      },
    });
    flash('Your email preferences are saved.', 'success');
  });
  replace(container, h('section', { class: 'card', 'aria-labelledby': 'prefs-h' }, h('h2', { id: 'prefs-h' }, 'Email and digest'), form));
}
