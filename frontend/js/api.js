// The one door to the server: POST /graphql as JSON with the session cookie.
// Errors become ApiError, whose `message` is already fit for people to read.

export class ApiError extends Error {
  constructor(message, { code = 'UNKNOWN', field = null, retryAfter = null, state = null, serverMessage = '' } = {}) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.field = field;
    this.retryAfter = retryAfter;
    this.state = state;
    this.serverMessage = serverMessage;
  }
}

/** "displayName" -> "Display name", "input.cdrVersion" -> "Cdr version". */
export function fieldLabel(field) {
  const last = String(field || '').split('.').pop();
  const words = last.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/[_-]+/g, ' ').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function capitalise(text) {
  const t = String(text || '').trim();
  if (!t) return t;
  const s = t.charAt(0).toUpperCase() + t.slice(1);
  return /[.!?]$/.test(s) ? s : `${s}.`;
}

/** The server writes validation messages as "field: problem"; keep the problem. */
export function stripField(message, field) {
  const m = String(message || '');
  if (field && m.startsWith(`${field}: `)) return m.slice(field.length + 2);
  const i = m.indexOf(': ');
  if (field && i > 0 && i < 40 && !m.slice(0, i).includes(' ')) return m.slice(i + 2);
  return m;
}

function duration(seconds) {
  const s = Math.max(1, Math.round(Number(seconds) || 1));
  if (s < 90) return `${s} second${s === 1 ? '' : 's'}`;
  const m = Math.round(s / 60);
  if (m < 90) return `${m} minute${m === 1 ? '' : 's'}`;
  const h = Math.round(m / 60);
  return `${h} hour${h === 1 ? '' : 's'}`;
}

/** A human sentence for one GraphQL error object. */
export function humanMessage(error) {
  const ext = error.extensions || {};
  const code = ext.code || 'UNKNOWN';
  const msg = error.message || '';
  switch (code) {
    case 'UNAUTHENTICATED':
      return 'Please sign in to continue.';
    case 'EMAIL_NOT_VERIFIED':
      return 'Confirm your email address to continue. Open the link we emailed you, or ask for a new one from your profile.';
    case 'INVALID_CREDENTIALS':
      return 'That email and password do not match an account. Check them and try again.';
    case 'PASSWORD_SIGN_IN_DISABLED':
      return 'Passwords are not used here: sign in with your program account.';
    case 'FORBIDDEN':
      return msg && msg !== 'forbidden'
        ? `You can't do that: ${msg.replace(/\.$/, '')}.`
        : "You don't have permission to do that.";
    case 'NOT_FOUND': {
      const thing = msg.replace(/ not found$/, '').trim();
      return thing && thing !== msg
        ? `We couldn't find that ${thing}. It may have been removed, or you may not have access to it.`
        : "We couldn't find what you were looking for.";
    }
    case 'VALIDATION':
      return ext.field
        ? `${fieldLabel(ext.field)}: ${capitalise(stripField(msg, ext.field)).replace(/^./, (c) => c.toLowerCase())}`
        : capitalise(msg);
    case 'CONFLICT':
      return capitalise(stripField(msg, ext.field));
    case 'INVALID_STATE':
      return capitalise(msg) || 'That is not possible in its current state.';
    case 'RATE_LIMITED':
      return `Too many attempts. Please wait ${duration(ext.retryAfter)} and try again.`;
    case 'PAYLOAD_TOO_LARGE':
      return 'That is too long to send. Please shorten it and try again.';
    case 'INTERNAL':
      return 'Something went wrong on our side. Please try again in a moment.';
    case 'CSRF_REJECTED':
    case 'BAD_REQUEST':
    case 'BAD_USER_INPUT':
    case 'GRAPHQL_PARSE_FAILED':
    case 'GRAPHQL_VALIDATION_FAILED':
    case 'QUERY_TOO_DEEP':
    case 'QUERY_TOO_COMPLEX':
    case 'TOO_MANY_ALIASES':
    case 'BATCH_TOO_LARGE':
      return 'The page sent a request the server could not accept. Reload the page and try again.';
    default:
      return capitalise(msg) || 'Something went wrong. Please try again.';
  }
}

function toApiError(error) {
  const ext = error.extensions || {};
  return new ApiError(humanMessage(error), {
    code: ext.code || 'UNKNOWN',
    field: ext.field || null,
    retryAfter: ext.retryAfter ?? null,
    state: ext.state || null,
    serverMessage: error.message || '',
  });
}

const listeners = new Set();
/** Called with every ApiError; the shell uses it to notice a lost session. */
export function onApiError(fn) {
  listeners.add(fn);
}

/** Runs a query or mutation; resolves to `data`, rejects with ApiError. */
export async function gql(query, variables = {}) {
  let response;
  try {
    response = await fetch('/graphql', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ query, variables }),
    });
  } catch {
    throw new ApiError('Could not reach the server. Check your connection and try again.', { code: 'NETWORK' });
  }
  let body;
  try {
    body = await response.json();
  } catch {
    throw new ApiError(`The server sent an unexpected answer (HTTP ${response.status}). Please try again.`, {
      code: 'BAD_RESPONSE',
    });
  }
  if (Array.isArray(body.errors) && body.errors.length > 0) {
    const err = toApiError(body.errors[0]);
    err.all = body.errors.map(toApiError);
    for (const fn of listeners) fn(err);
    throw err;
  }
  return body.data;
}
