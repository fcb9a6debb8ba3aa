// History-API routing with real paths, so every page has a URL that survives
// a reload (the server answers unknown extension-less paths with index.html).

import { session } from './session.js';
import { h, clear, errorBox, pageHeader } from './ui.js';

const routes = [];
let notFoundHandler = null;
let unconfirmedHandler = null;
let renderCount = 0;
const afterNavigate = [];

/**
 * route('/t/:id', handler, { auth: true, allow: (s) => s.isModerator, title })
 * The handler gets { params, query, hash, view, path } and may be async.
 * `auth` pages also need a confirmed address, unless `unconfirmed: true`
 * (the account's own profile): the server refuses the rest with
 * EMAIL_NOT_VERIFIED, so they show the `unconfirmed` handler instead.
 */
export function route(pattern, handler, options = {}) {
  const names = [];
  const source = pattern
    .replace(/[.+?^${}()|[\]\\]/g, '\\$&')
    .replace(/:([a-zA-Z]+)/g, (_, name) => {
      names.push(name);
      return '([^/]+)';
    });
  routes.push({ regex: new RegExp(`^${source}/?$`), names, handler, options });
}

export function notFound(handler) {
  notFoundHandler = handler;
}

export function unconfirmed(handler) {
  unconfirmedHandler = handler;
}

export function onNavigate(fn) {
  afterNavigate.push(fn);
}

export function setTitle(title) {
  document.title = title ? `${title} · Research Commons` : 'Research Commons';
}

/** Goes to an in-app URL without reloading the page. */
export function navigate(url, { replace = false } = {}) {
  const target = new URL(url, window.location.origin);
  if (target.origin !== window.location.origin) {
    window.location.assign(target.href);
    return Promise.resolve();
  }
  const href = target.pathname + target.search + target.hash;
  if (replace) window.history.replaceState({}, '', href);
  else window.history.pushState({}, '', href);
  return render({ focus: true });
}

/** Re-renders the current URL (after sign-in, say). */
export function reload() {
  return render({ focus: false, keepScroll: true });
}

function match(path) {
  for (const r of routes) {
    const m = r.regex.exec(path);
    if (m) {
      const params = {};
      r.names.forEach((name, i) => {
        params[name] = decodeURIComponent(m[i + 1]);
      });
      return { route: r, params };
    }
  }
  return null;
}

/** Moves focus and scroll to `#p45`-style targets, or to the page heading. */
function settle({ focus, keepScroll }) {
  const hash = decodeURIComponent(window.location.hash.slice(1));
  const target = hash ? document.getElementById(hash) : null;
  if (target) {
    for (const el of document.querySelectorAll('.is-target')) el.classList.remove('is-target');
    target.classList.add('is-target');
    if (!target.hasAttribute('tabindex')) target.setAttribute('tabindex', '-1');
    target.focus({ preventScroll: true });
    target.scrollIntoView({ block: 'start' });
    return;
  }
  if (!keepScroll) window.scrollTo(0, 0);
  if (focus) {
    const heading = document.querySelector('#main h1');
    (heading || document.getElementById('main')).focus({ preventScroll: true });
  }
}

async function render({ focus = false, keepScroll = false } = {}) {
  renderCount += 1;
  const mine = renderCount;
  const main = document.getElementById('main');
  const view = h('div', { class: 'view' });
  clear(main);
  main.append(view);
  const path = window.location.pathname;
  const query = new URLSearchParams(window.location.search);
  const hash = window.location.hash.slice(1);
  const found = match(path);
  for (const fn of afterNavigate) fn(path);
  try {
    if (!found) {
      setTitle('Page not found');
      if (notFoundHandler) await notFoundHandler({ view, path, query, hash, params: {} });
    } else {
      const { route: r, params } = found;
      setTitle(r.options.title || '');
      if (r.options.auth && !session.signedIn) {
        const next = path + window.location.search + window.location.hash;
        window.history.replaceState({}, '', `/sign-in?next=${encodeURIComponent(next)}`);
        return render({ focus });
      }
      if (r.options.auth && !session.verified && !r.options.unconfirmed && unconfirmedHandler) {
        await unconfirmedHandler({ view, params, query, hash, path });
      } else if (r.options.allow && !r.options.allow(session)) {
        view.append(
          pageHeader('Not available to you'),
          h('p', { class: 'state state-error', role: 'alert' }, r.options.deniedText || 'This page is only for program staff with the right role.'),
        );
      } else {
        await r.handler({ view, params, query, hash, path });
      }
    }
  } catch (err) {
    if (mine === renderCount) view.append(errorBox(err, () => reload()));
  }
  if (mine === renderCount) settle({ focus, keepScroll });
}

function isInternalLink(a, event) {
  if (!a || event.defaultPrevented || event.button !== 0) return false;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return false;
  if (a.target && a.target !== '_self') return false;
  if (a.hasAttribute('download') || a.dataset.external !== undefined) return false;
  const url = new URL(a.href, window.location.origin);
  if (url.origin !== window.location.origin) return false;
  // Server endpoints stay server endpoints.
  if (/^\/(graphql|healthz|readyz)(\/|$)/.test(url.pathname)) return false;
  return true;
}

export function start() {
  document.addEventListener('click', (event) => {
    const a = event.target.closest?.('a[href]');
    if (!isInternalLink(a, event)) return;
    const url = new URL(a.href, window.location.origin);
    event.preventDefault();
    // Same page, new anchor: just move to it.
    if (url.pathname === window.location.pathname && url.search === window.location.search && url.hash) {
      window.history.pushState({}, '', url.hash);
      settle({ focus: true });
      return;
    }
    navigate(url.pathname + url.search + url.hash);
  });
  window.addEventListener('popstate', () => render({ focus: true }));
  return render({ focus: false });
}
