// Every GraphQL document the frontend sends must match the server's schema
// and fit its cost budget. The documents are read from frontend/js (string
// constants interpolated) and sent signed in (TOKEN, a member holding every
// role), with every variable given a value of its type and every page size
// (`first`, `last`) at its largest. Any error other than an execution
// refusal for these made-up values (forbidden, not found, …) fails the
// check; QUERY_TOO_COMPLEX and RATE_LIMITED always fail it. Mutations are
// checked against the schema only.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve as resolvePath } from 'node:path';
import { BASE_URL } from './lib.mjs';

const ROOT = new URL('../../frontend/js/', import.meta.url).pathname;

function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.js') ? [path] : [];
  });
}

// Only modules the app actually loads, following imports from app.js.
function reachable(entry) {
  const seen = new Set();
  const stack = [entry];
  while (stack.length) {
    const path = stack.pop();
    if (seen.has(path)) continue;
    seen.add(path);
    const text = readFileSync(path, 'utf8');
    for (const m of text.matchAll(/(?:import|export)\s[^;]*?from\s+'(\.[^']+)'/g)) {
      stack.push(resolvePath(dirname(path), m[1]));
    }
  }
  return [...seen];
}

const loaded = new Set(reachable(join(ROOT, 'app.js')));
const sources = files(ROOT)
  .filter((path) => loaded.has(path))
  .map((path) => ({ path, text: readFileSync(path, 'utf8') }));

// Template and plain string literals, with their interpolations unresolved.
const LITERAL = /`((?:[^`\\]|\\.)*)`|'((?:[^'\\\n]|\\.)*)'/g;
// String constants per file; exported ones are also visible to importers.
const CONSTANT = /(export\s+)?const\s+([A-Z_][A-Z0-9_]*)\s*=\s*(?:`((?:[^`\\]|\\.)*)`|'((?:[^'\\\n]|\\.)*)')/g;
const exported = new Map();
const local = new Map();
for (const { path, text } of sources) {
  const mine = new Map();
  for (const m of text.matchAll(CONSTANT)) {
    const value = m[3] ?? m[4];
    mine.set(m[2], value);
    if (m[1]) exported.set(m[2], value);
  }
  local.set(path, mine);
}

function resolve(path, text, depth = 0) {
  if (depth > 5) throw new Error(`interpolation too deep in ${text.slice(0, 60)}`);
  return text.replace(/\$\{\s*([A-Z_][A-Z0-9_]*)\s*\}/g, (_, name) => {
    const value = local.get(path).get(name) ?? exported.get(name);
    if (value === undefined) throw new Error(`${path}: unknown constant ${name}`);
    return resolve(path, value, depth + 1);
  });
}

const documents = [];
for (const { path, text } of sources) {
  for (const m of text.matchAll(LITERAL)) {
    const body = (m[1] ?? m[2] ?? '').trim();
    if (!/^(query|mutation)\b/.test(body)) continue;
    if (/\$\{(?![A-Z_][A-Z0-9_]*\})/.test(body)) {
      throw new Error(`${path}: a GraphQL document interpolates something other than a constant: ${body.slice(0, 80)}`);
    }
    documents.push({ path: path.replace(ROOT, 'frontend/js/'), query: resolve(path, body) });
  }
}

// The largest page any connection serves.
const MAX_PAGE = 50;
const SDL = readFileSync(new URL('../../graphql/schema.graphql', import.meta.url), 'utf8');
const ENUMS = new Map([...SDL.matchAll(/^enum (\w+) \{\s*(\w+)/gm)].map((m) => [m[1], m[2]]));
const INPUTS = new Set([...SDL.matchAll(/^input (\w+)/gm)].map((m) => m[1]));

// A value of a variable's declared type: page sizes at their largest,
// ids of rows the server has (1), the first value of an enum.
function valueFor(name, type) {
  const list = type.startsWith('[');
  const base = type.replace(/[[\]!]/g, '');
  if (list) return [];
  if (name === 'first' || name === 'last') return MAX_PAGE;
  if (ENUMS.has(base)) return ENUMS.get(base);
  if (INPUTS.has(base)) return {};
  return { Int: 1, Float: 1, Boolean: false, ID: '1', String: 'research' }[base] ?? null;
}

function variablesOf(query) {
  const head = /^(?:query|mutation)\s*\w*\s*\(([^)]*)\)/.exec(query);
  const variables = {};
  for (const m of (head?.[1] ?? '').matchAll(/\$(\w+)\s*:\s*([\w[\]!]+)/g)) {
    variables[m[1]] = valueFor(m[1], m[2]);
  }
  return variables;
}

// Refusals of the made-up values, which a real page would not send.
const IGNORED_CODES = new Set(['FORBIDDEN', 'NOT_FOUND', 'VALIDATION', 'BAD_USER_INPUT', 'INVALID_CREDENTIALS', 'INVALID_STATE', 'CONFLICT']);
const TOKEN = process.env.TOKEN;
if (!TOKEN) throw new Error('queries.mjs needs TOKEN, a session of a member holding every role');
const problems = [];
for (const doc of documents) {
  // Mutations would run: they are sent as before, signed out and without
  // variables, which the schema refuses after validating them.
  const mutation = doc.query.startsWith('mutation');
  const headers = { 'Content-Type': 'application/json' };
  if (!mutation) headers.Authorization = `Bearer ${TOKEN}`;
  const response = await fetch(`${BASE_URL}/graphql`, {
    method: 'POST',
    headers,
    body: JSON.stringify(mutation ? { query: doc.query } : { query: doc.query, variables: variablesOf(doc.query) }),
  });
  const body = await response.json();
  for (const err of body.errors || []) {
    const code = err.extensions?.code;
    if (IGNORED_CODES.has(code)) continue;
    if (mutation && code === 'UNAUTHENTICATED') continue;
    if (mutation && /^Variable \$?"?\w+"? is not defined\.?$/.test(err.message)) continue;
    problems.push(`${doc.path}: ${code}: ${err.message}\n    in: ${doc.query.replace(/\s+/g, ' ').slice(0, 160)}`);
  }
}
console.log(`checked ${documents.length} GraphQL documents in ${new Set(documents.map((d) => d.path)).size} modules`);
if (problems.length) {
  console.error(problems.join('\n'));
  process.exit(1);
}
