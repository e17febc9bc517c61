// The official MCP TypeScript SDK client, with its OAuth support, against a live mcp-oauth server.
//
//   MCP_OAUTH_INTEROP_URL       the server's issuer, e.g. http://127.0.0.1:8080 (required)
//   MCP_OAUTH_INTEROP_USERNAME  a local account (required for the OAuth flow)
//   MCP_OAUTH_INTEROP_PASSWORD
//   MCP_OAUTH_INTEROP_TOKEN     if set: skip OAuth and use this access token (MCP part only)
//
// The OAuth flow: a bare 401 names the protected-resource metadata; the SDK discovers the
// authorization server, registers dynamically and builds the authorization URL (PKCE S256).
// This script then plays the browser: it GETs that URL, fills in the login form, approves the
// consent form and reads `code`, `state` and `iss` from the 302 to the redirect URI, where nothing
// listens. Then: initialize, tools/list, add_memory + search_memories, create_entities +
// open_nodes, a forced refresh (the access token is spoiled, so the next call gets a 401 and the
// SDK refreshes), another call, revocation, and a final call that must fail with 401. Prints one `ok - …` line per step; exits non-zero at the first failure.

import { randomUUID } from 'node:crypto';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { browse } from './browser.mjs';

const BASE = required('MCP_OAUTH_INTEROP_URL').replace(/\/$/, '');
const MCP_URL = new URL(`${BASE}/api/mcp`);
const REDIRECT_URI = 'http://127.0.0.1:33418/callback';
const TOKEN = process.env.MCP_OAUTH_INTEROP_TOKEN;

function required(name) {
  const v = process.env[name];
  if (!v) fail(`${name} is not set`);
  return v;
}

function fail(message) {
  console.error(`not ok - ${message}`);
  process.exit(1);
}

function ok(step) {
  console.log(`ok - ${step}`);
}

function check(condition, message) {
  if (!condition) throw new Error(message);
}

/** Keeps everything in memory: one run, one client. */
class InteropProvider {
  constructor() {
    this.client = undefined;
    this.current = undefined;
    this.verifier = undefined;
    this.authorizationUrl = undefined;
    this.expectedState = undefined;
    this.tokensSaved = 0;
  }
  get redirectUrl() {
    return REDIRECT_URI;
  }
  get clientMetadata() {
    return {
      client_name: 'mcp-oauth interop (TypeScript SDK)',
      redirect_uris: [REDIRECT_URI],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  }
  state() {
    this.expectedState = randomUUID();
    return this.expectedState;
  }
  clientInformation() {
    return this.client;
  }
  saveClientInformation(info) {
    this.client = info;
  }
  tokens() {
    return this.current;
  }
  saveTokens(tokens) {
    this.current = tokens;
    this.tokensSaved += 1;
  }
  redirectToAuthorization(url) {
    this.authorizationUrl = url;
  }
  saveCodeVerifier(verifier) {
    this.verifier = verifier;
  }
  codeVerifier() {
    return this.verifier;
  }
}

function newClient() {
  return new Client({ name: 'mcp-oauth-interop-ts', version: '1.0.0' });
}

function structured(result, tool) {
  check(!result.isError, `${tool} failed: ${JSON.stringify(result.content)}`);
  check(result.structuredContent && typeof result.structuredContent === 'object', `${tool}: no structuredContent`);
  const text = result.content?.[0]?.text;
  check(JSON.stringify(JSON.parse(text)) === JSON.stringify(result.structuredContent), `${tool}: text block differs`);
  return result.structuredContent;
}

async function exerciseTools(client) {
  const { tools } = await client.listTools();
  const names = tools.map((t) => t.name);
  for (const n of ['add_memory', 'search_memories', 'create_entities', 'open_nodes']) {
    check(names.includes(n), `tools/list lacks ${n}: ${names}`);
  }
  ok(`tools/list (${names.length} tools)`);

  const marker = `interop-ts-${randomUUID().slice(0, 8)}`;
  const added = structured(
    await client.callTool({ name: 'add_memory', arguments: { content: `TypeScript SDK was here ${marker}`, tags: ['interop'] } }),
    'add_memory',
  );
  check(Number.isInteger(added.id), `add_memory returned no id: ${JSON.stringify(added)}`);
  const found = structured(await client.callTool({ name: 'search_memories', arguments: { query: marker } }), 'search_memories');
  check(found.memories.some((m) => m.id === added.id), `search_memories did not find ${marker}`);
  ok('add_memory + search_memories finds it');

  const entity = { name: `Node-${marker}`, entityType: 'runtime', observations: ['speaks MCP'] };
  structured(await client.callTool({ name: 'create_entities', arguments: { entities: [entity] } }), 'create_entities');
  const opened = structured(await client.callTool({ name: 'open_nodes', arguments: { names: [entity.name] } }), 'open_nodes');
  const [got] = opened.entities;
  check(
    opened.entities.length === 1 &&
      got.name === entity.name &&
      got.entityType === entity.entityType &&
      JSON.stringify(got.observations) === JSON.stringify(entity.observations),
    `open_nodes: ${JSON.stringify(opened)}`,
  );
  ok('create_entities + open_nodes');
}

async function withStaticToken() {
  const transport = new StreamableHTTPClientTransport(MCP_URL, {
    requestInit: { headers: { Authorization: `Bearer ${TOKEN}` } },
  });
  const client = newClient();
  await client.connect(transport);
  ok(`initialize (protocol ${transport.protocolVersion ?? 'negotiated'})`);
  await exerciseTools(client);
  await client.close();
}

async function discoverFromBare401() {
  const res = await fetch(MCP_URL, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
  });
  check(res.status === 401, `bare request: expected 401, got ${res.status}`);
  const challenge = res.headers.get('www-authenticate') ?? '';
  const m = /resource_metadata="([^"]+)"/.exec(challenge);
  check(m, `401 without resource_metadata: ${challenge}`);
  const prm = await (await fetch(m[1])).json();
  check(prm.resource === MCP_URL.href, `resource ${prm.resource} != ${MCP_URL.href}`);
  const issuer = prm.authorization_servers[0];
  const asm = await (await fetch(`${issuer}/.well-known/oauth-authorization-server`)).json();
  check(asm.issuer === issuer, `issuer mismatch: ${asm.issuer} != ${issuer}`);
  ok('discovery: bare 401 -> protected-resource metadata -> authorization-server metadata');
  return asm;
}

async function oauthFlow() {
  const username = required('MCP_OAUTH_INTEROP_USERNAME');
  const password = required('MCP_OAUTH_INTEROP_PASSWORD');
  const asm = await discoverFromBare401();

  const provider = new InteropProvider();
  // The status of every answer from /api/mcp, as the SDK's transport saw it.
  const mcpStatuses = [];
  const recordingFetch = async (input, init) => {
    const res = await fetch(input, init);
    if (String(input instanceof Request ? input.url : input) === MCP_URL.href) mcpStatuses.push(res.status);
    return res;
  };
  const transportOptions = { authProvider: provider, fetch: recordingFetch };
  let transport = new StreamableHTTPClientTransport(MCP_URL, transportOptions);
  let client = newClient();
  try {
    await client.connect(transport);
    throw new Error('connected without authorization');
  } catch (e) {
    if (!(e instanceof UnauthorizedError)) throw e;
  }
  check(provider.client?.client_id, 'the SDK did not register a client');
  check(provider.authorizationUrl, 'the SDK did not produce an authorization URL');
  check(provider.authorizationUrl.searchParams.get('code_challenge_method') === 'S256', 'no PKCE S256');
  ok(`dynamic registration (${provider.client.client_id}) and authorization URL with PKCE`);

  const callback = await browse(provider.authorizationUrl.href, REDIRECT_URI, { username, password });
  const code = callback.searchParams.get('code');
  check(code, `no code in ${callback.href}`);
  check(callback.searchParams.get('state') === provider.expectedState, 'state mismatch');
  check(callback.searchParams.get('iss') === asm.issuer, `iss ${callback.searchParams.get('iss')} != ${asm.issuer}`);
  ok('login and consent driven over HTTP; code, state and iss returned');

  await transport.finishAuth(code);
  check(provider.current?.access_token?.startsWith('mcp_at_'), 'no mcp_at_ access token');
  check(provider.current?.refresh_token?.startsWith('mcp_rt_'), 'no mcp_rt_ refresh token');
  ok('token exchange');

  transport = new StreamableHTTPClientTransport(MCP_URL, transportOptions);
  client = newClient();
  await client.connect(transport);
  ok('initialize');
  await exerciseTools(client);

  // Forced refresh: spoil the access token; the next call gets a 401 and the SDK refreshes.
  const before = provider.current;
  const saved = provider.tokensSaved;
  provider.current = { ...before, access_token: 'mcp_at_spoiled' };
  const { tools } = await client.listTools();
  check(tools.length > 0, 'no tools after refresh');
  check(provider.tokensSaved === saved + 1, 'the SDK did not refresh');
  check(provider.current.access_token !== before.access_token, 'refresh returned the same access token');
  check(provider.current.refresh_token !== before.refresh_token, 'the refresh token was not rotated');
  ok('forced refresh after a 401, rotated refresh token, call succeeds');

  // Revoke both: the access token (so the next call is refused at once) and the refresh token
  // (so the SDK's refresh after that 401 fails too).
  const stale = provider.current.access_token;
  for (const [token, hint] of [
    [stale, 'access_token'],
    [provider.current.refresh_token, 'refresh_token'],
  ]) {
    const revoked = await fetch(asm.revocation_endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, token_type_hint: hint, client_id: provider.client.client_id }),
    });
    check(revoked.status === 200, `revoking the ${hint}: ${revoked.status} ${await revoked.text()}`);
  }
  ok('revoked the access and refresh tokens');

  const raw = await fetch(MCP_URL, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${stale}` },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
  });
  check(raw.status === 401, `the revoked access token still works: ${raw.status}`);
  mcpStatuses.length = 0;
  try {
    await client.callTool({ name: 'list_memories', arguments: {} });
    throw new Error('a call after revocation succeeded');
  } catch (e) {
    // The SDK then tries to refresh, which fails too (the refresh token is revoked); what it
    // throws depends on how far it got, so the 401 is checked where it happened.
    check(mcpStatuses[0] === 401, `a call after revocation failed, but the server said ${mcpStatuses}: ${e}`);
  }
  ok('the next call fails with 401');
  await client.close().catch(() => {});
}

try {
  if (TOKEN) await withStaticToken();
  else await oauthFlow();
  console.log('all ok');
} catch (e) {
  fail(e?.stack ?? String(e));
}
