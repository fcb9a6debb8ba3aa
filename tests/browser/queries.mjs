// Every GraphQL document the frontend sends must match the server's schema.
// The documents are read from frontend/js (string constants interpolated),
// sent without variables, and any error other than "variable not provided"
// or an execution refusal (sign in, forbidden, …) fails the check.

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

const IGNORED_CODES = new Set(['UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND', 'VALIDATION', 'INVALID_CREDENTIALS', 'RATE_LIMITED', 'INVALID_STATE', 'CONFLICT']);
const problems = [];
for (const doc of documents) {
  const response = await fetch(`${BASE_URL}/graphql`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ query: doc.query }),
  });
  const body = await response.json();
  for (const err of body.errors || []) {
    const code = err.extensions?.code;
    if (IGNORED_CODES.has(code)) continue;
    // Without variables a valid document stops at its first argument.
    if (/^Variable \$?"?\w+"? is not defined\.?$/.test(err.message)) continue;
    problems.push(`${doc.path}: ${code}: ${err.message}\n    in: ${doc.query.replace(/\s+/g, ' ').slice(0, 160)}`);
  }
}
console.log(`checked ${documents.length} GraphQL documents in ${new Set(documents.map((d) => d.path)).size} modules`);
if (problems.length) {
  console.error(problems.join('\n'));
  process.exit(1);
}
