// A real OpenID Connect provider (oidc-provider) for the sign-in tests.
//
// Started by the test harness (tests/api/oidc_provider.rs) on loopback
// ports it prints as one JSON line on stdout:
//   {"issuer": "http://127.0.0.1:<port>", "proxy": "http://127.0.0.1:<port>"}
//
// - Its own signing key, generated at start.
// - Clients and accounts are registered per test over a control API
//   (POST /__test/client, POST /__test/account); `findAccount` answers each
//   account's claims.
// - devInteractions serve the provider's own login and consent pages;
//   back-channel and RP-initiated logout are on.
// - The token endpoint that discovery advertises is a loopback proxy in
//   front of the provider's own. It passes answers through, except for a
//   client that a test asked to receive a bad ID token
//   (POST /__test/tamper): the proxy then re-mints the ID token with the
//   provider's keys: wrong audience, expired, `alg: none`, an unknown key id,
//   or a wrong nonce; or, after POST /__test/rotate, one signed with a key
//   the provider has just begun to publish.
// - POST /__test/logout-token mints back-channel logout tokens, good or bad.

import http from 'node:http';
import { randomUUID } from 'node:crypto';

import * as jose from 'jose';
import Provider from 'oidc-provider';
import MemoryAdapter from 'oidc-provider/lib/adapters/memory_adapter.js';

const HOST = '127.0.0.1';

const clients = new Map();
const accounts = new Map();
const tamper = new Map();

function listen(server) {
  return new Promise((resolve) => {
    server.listen(0, HOST, () => resolve(server.address().port));
  });
}

// The proxy needs its port before the provider's configuration is built.
const proxyServer = http.createServer();
const proxyPort = await listen(proxyServer);
const proxyUrl = `http://${HOST}:${proxyPort}`;
const providerServer = http.createServer();
const providerPort = await listen(providerServer);
const issuer = `http://${HOST}:${providerPort}`;

const { privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
const signingJwk = { ...(await jose.exportJWK(privateKey)), kid: 'test-signing-key', alg: 'RS256', use: 'sig' };
const signingKey = await jose.importJWK(signingJwk, 'RS256');
const { privateKey: strangerKey } = await jose.generateKeyPair('RS256');
// Keys the provider starts publishing when a test rotates keys: one per
// client, so each test's app has never seen its key before.
const rotated = new Map();

class Adapter extends MemoryAdapter {
  constructor(model) {
    super(model);
    this.isClient = model === 'Client';
  }

  async find(id) {
    if (this.isClient) return clients.get(id);
    return super.find(id);
  }
}

const provider = new Provider(issuer, {
  adapter: Adapter,
  clients: [],
  jwks: { keys: [signingJwk] },
  cookies: { keys: ['research-commons-test-provider-cookie-key'] },
  findAccount: async (ctx, id) => {
    const account = accounts.get(id);
    if (!account) return undefined;
    return {
      accountId: id,
      // An account registered `userinfo_only` has only `sub` in its ID
      // token, as with providers that put the email in UserInfo alone.
      async claims(use) {
        if (use === 'id_token' && account.userinfoOnly) return { sub: id };
        return { sub: id, ...account.claims };
      },
    };
  },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'given_name', 'family_name', 'preferred_username'],
    program: ['hd', 'commons_tier', 'commons_roles'],
  },
  scopes: ['openid', 'email', 'profile', 'program'],
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: true },
    backchannelLogout: { enabled: true },
    rpInitiatedLogout: { enabled: true },
  },
  // Claims go to the ID token too, as many providers do; `userinfo_only`
  // accounts keep them for UserInfo.
  conformIdTokenClaims: false,
  // The clients here live on loopback, which the provider's outgoing
  // requests (back-channel logouts) refuse by default.
  fetch: (url, options) => {
    const { dispatcher, ...rest } = options;
    return globalThis.fetch(url, rest);
  },
});

// Discovery names the proxy as the token endpoint, and the provider's
// pages load nothing from the network (they import a web font).
provider.use(async (ctx, next) => {
  await next();
  if (typeof ctx.body === 'string') {
    ctx.body = ctx.body.replace(/@import url\(https:\/\/fonts\.googleapis\.com[^)]*\);?/g, '');
  }
  if (ctx.path === '/jwks' && ctx.body?.keys) {
    ctx.body = { keys: [...ctx.body.keys, ...[...rotated.values()].map(({ jwk }) => jwk)] };
  }
  if (ctx.path === '/.well-known/openid-configuration' && ctx.body) {
    ctx.body = { ...ctx.body, token_endpoint: `${proxyUrl}/token` };
  }
});

provider.on('server_error', (ctx, err) => console.error('provider server_error', err));
provider.on('backchannel.error', (ctx, err) => console.error('backchannel error', err.message));

async function readJson(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? JSON.parse(text) : {};
}

function send(res, status, body, type = 'application/json') {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}

const now = () => Math.floor(Date.now() / 1000);
const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');

async function sign(payload, { key = signingKey, kid = signingJwk.kid, typ } = {}) {
  const header = { alg: 'RS256', kid };
  if (typ) header.typ = typ;
  return new jose.SignJWT(payload).setProtectedHeader(header).sign(key);
}

// A bad ID token made from the good one.
async function remint(idToken, mode, clientId) {
  const payload = jose.decodeJwt(idToken);
  switch (mode) {
    case 'wrong_audience':
      return sign({ ...payload, aud: 'another-client' });
    case 'expired':
      return sign({ ...payload, iat: now() - 7200, exp: now() - 3600 });
    case 'alg_none':
      return `${b64({ alg: 'none', typ: 'JWT' })}.${b64(payload)}.`;
    case 'unknown_kid':
      return sign(payload, { key: strangerKey, kid: 'not-a-provider-key' });
    case 'wrong_nonce':
      return sign({ ...payload, nonce: 'not-the-nonce-of-this-flow' });
    case 'rotated': {
      const { key, jwk } = rotated.get(clientId);
      return sign(payload, { key, kid: jwk.kid });
    }
    case 'wrong_issuer':
      return sign({ ...payload, iss: 'http://127.0.0.1:1' });
    default:
      throw new Error(`unknown tamper mode ${mode}`);
  }
}

// The client a token request is for: HTTP Basic or the form's client_id.
function clientOf(headers, form) {
  const auth = headers.authorization ?? '';
  if (auth.startsWith('Basic ')) {
    const decoded = Buffer.from(auth.slice(6), 'base64').toString('utf8');
    return decodeURIComponent(decoded.split(':')[0]);
  }
  return form.get('client_id');
}

proxyServer.on('request', async (req, res) => {
  try {
    if (req.method !== 'POST' || req.url !== '/token') return send(res, 404, { error: 'not_found' });
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const body = Buffer.concat(chunks).toString('utf8');
    const headers = { 'content-type': req.headers['content-type'] ?? 'application/x-www-form-urlencoded' };
    if (req.headers.authorization) headers.authorization = req.headers.authorization;
    const upstream = await fetch(`${issuer}/token`, { method: 'POST', headers, body });
    const text = await upstream.text();
    const clientId = clientOf(req.headers, new URLSearchParams(body));
    const mode = tamper.get(clientId);
    if (!mode || upstream.status !== 200) return send(res, upstream.status, text);
    tamper.delete(clientId);
    const answer = JSON.parse(text);
    answer.id_token = await remint(answer.id_token, mode, clientId);
    return send(res, 200, answer);
  } catch (err) {
    console.error('token proxy', err);
    return send(res, 500, { error: 'server_error' });
  }
});

const control = {
  async '/__test/client'(body) {
    const metadata = {
      client_id: body.client_id,
      redirect_uris: body.redirect_uris,
      post_logout_redirect_uris: body.post_logout_redirect_uris ?? [],
      response_types: ['code'],
      grant_types: ['authorization_code'],
      token_endpoint_auth_method: body.client_secret ? 'client_secret_basic' : 'none',
      backchannel_logout_uri: body.backchannel_logout_uri,
      backchannel_logout_session_required: true,
    };
    if (body.client_secret) metadata.client_secret = body.client_secret;
    clients.set(body.client_id, metadata);
    return {};
  },
  async '/__test/account'(body) {
    accounts.set(body.sub, { claims: body.claims ?? {}, userinfoOnly: Boolean(body.userinfo_only) });
    return {};
  },
  async '/__test/rotate'(body) {
    const { privateKey: key, publicKey } = await jose.generateKeyPair('RS256', { extractable: true });
    const jwk = { ...(await jose.exportJWK(publicKey)), kid: `rotated-${randomUUID()}`, alg: 'RS256', use: 'sig' };
    rotated.set(body.client_id, { key, jwk });
    return { kid: jwk.kid };
  },
  async '/__test/tamper'(body) {
    tamper.set(body.client_id, body.mode);
    return {};
  },
  async '/__test/logout-token'(body) {
    const payload = {
      iss: body.iss ?? issuer,
      aud: body.aud ?? body.client_id,
      iat: body.iat ?? now(),
      exp: (body.iat ?? now()) + 120,
      jti: body.jti ?? randomUUID(),
      events: body.events ?? { 'http://schemas.openid.net/event/backchannel-logout': {} },
    };
    if (body.sub) payload.sub = body.sub;
    if (body.sid) payload.sid = body.sid;
    if (body.nonce) payload.nonce = body.nonce;
    if (body.no_events) delete payload.events;
    const key = body.stranger ? strangerKey : signingKey;
    const kid = body.stranger ? 'not-a-provider-key' : signingJwk.kid;
    const token = await sign(payload, { key, kid, typ: body.typ ?? 'logout+jwt' });
    return { logout_token: token, jti: payload.jti };
  },
};

const callback = provider.callback();
providerServer.on('request', async (req, res) => {
  const path = req.url.split('?')[0];
  if (req.method === 'POST' && control[path]) {
    try {
      return send(res, 200, await control[path](await readJson(req)));
    } catch (err) {
      return send(res, 400, { error: String(err) });
    }
  }
  // Browsers ask for an icon; the provider has none.
  if (path === '/favicon.ico') {
    res.writeHead(204);
    return res.end();
  }
  return callback(req, res);
});

console.log(JSON.stringify({ issuer, proxy: proxyUrl }));

process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
