// The official MCP TypeScript SDK v2 client (`@modelcontextprotocol/client`) against a live
// mcp-oauth server, on MCP 2026-07-28: it must land on that revision without falling back.
//
//   MCP_OAUTH_INTEROP_URL          the server's issuer (required)
//   MCP_OAUTH_INTEROP_NEGOTIATION  `auto` (probe with server/discover, fall back only on legacy
//                                  evidence) or `pin` (2026-07-28 or fail); default `auto`
//   MCP_OAUTH_INTEROP_USERNAME     a local account (required for the OAuth flow)
//   MCP_OAUTH_INTEROP_PASSWORD
//   MCP_OAUTH_INTEROP_TOKEN        if set: skip OAuth and use this access token
//   MCP_OAUTH_INTEROP_CLIENT_METADATA_URL
//                                  if set: the provider's `clientMetadataUrl` (a Client ID
//                                  Metadata Document over https; NODE_EXTRA_CA_CERTS must trust
//                                  its host): the client must be known by that URL, and no
//                                  registration request may go out
//
// Every request body the SDK posts to /api/mcp is recorded: the run fails if one of them is an
// `initialize` (a fallback to the 2025 handshake) or lacks the 2026-07-28 headers. The OAuth
// flow is the one of flow.mjs: a bare 401, discovery, dynamic registration, login and consent
// played over HTTP, `finishAuth` with the callback's parameters (the SDK checks `iss`), then the
// tools. Prints one `ok - …` line per step, `wire - …` lines tracing the OAuth requests (tokens,
// codes and verifiers redacted), and `all ok` at the end.

import { randomUUID } from 'node:crypto';
import { Client, StreamableHTTPClientTransport, UnauthorizedError } from '@modelcontextprotocol/client';
import { browse } from './browser.mjs';

const MODERN = '2026-07-28';
const BASE = required('MCP_OAUTH_INTEROP_URL').replace(/\/$/, '');
const MCP_URL = new URL(`${BASE}/api/mcp`);
const REDIRECT_URI = 'http://127.0.0.1:33418/callback';
const TOKEN = process.env.MCP_OAUTH_INTEROP_TOKEN;
const NEGOTIATION = process.env.MCP_OAUTH_INTEROP_NEGOTIATION ?? 'auto';
const CLIENT_METADATA_URL = process.env.MCP_OAUTH_INTEROP_CLIENT_METADATA_URL || undefined;

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

/** Every request the SDK made outside /api/mcp (discovery, registration, token): method and URL. */
const oauthWire = [];
const SECRET_FIELDS = ['code', 'code_verifier', 'refresh_token', 'access_token', 'client_secret'];

/** A secret's kind (`mcp_at_`, `mcp_rt_`, `auth_`) and nothing of its value. */
function prefixOnly(secret) {
  return `${secret.match(/^(mcp_at_|mcp_rt_|auth_)/)?.[0] ?? ''}…`;
}

/** A form or JSON body with its secrets replaced by `…`. */
function redacted(body) {
  if (body instanceof URLSearchParams || typeof body === 'string') {
    const form = new URLSearchParams(body);
    for (const k of SECRET_FIELDS) if (form.has(k)) form.set(k, prefixOnly(form.get(k)));
    return decodeURIComponent(form.toString());
  }
  const copy = { ...body };
  for (const k of SECRET_FIELDS) if (typeof copy[k] === 'string') copy[k] = prefixOnly(copy[k]);
  return JSON.stringify(copy);
}

/** What the SDK sent to /api/mcp: method, MCP headers, and the answer's status. */
const wire = [];
async function recordingFetch(input, init) {
  const url = String(input instanceof Request ? input.url : input);
  const res = await fetch(input, init);
  if (url !== MCP_URL.href) {
    const method = init?.method ?? (input instanceof Request ? input.method : 'GET');
    oauthWire.push({ method, url, status: res.status });
    let line = `wire - ${method} ${url} -> ${res.status}`;
    if (init?.body && url.endsWith('/token')) {
      const answer = await res.clone().json().catch(() => ({}));
      line += `\nwire -   request  ${redacted(init.body)}\nwire -   response ${redacted(answer)}`;
    }
    console.log(line);
  }
  if (url === MCP_URL.href && typeof init?.body === 'string') {
    const headers = new Headers(init.headers);
    const body = JSON.parse(init.body);
    wire.push({
      method: body.method,
      version: headers.get('mcp-protocol-version'),
      mcpMethod: headers.get('mcp-method'),
      meta: body.params?._meta?.['io.modelcontextprotocol/protocolVersion'],
      status: res.status,
    });
  }
  return res;
}

/** No `initialize`, and every request after the first 401s carried the 2026-07-28 envelope. */
function checkWireIsModern() {
  const methods = wire.map((w) => w.method);
  check(!methods.includes('initialize'), `the SDK fell back to initialize: ${methods}`);
  for (const w of wire.filter((w) => w.method && w.status !== 401)) {
    check(
      w.version === MODERN && w.mcpMethod === w.method && (w.meta === MODERN || w.method.startsWith('notifications/')),
      `a request without the 2026-07-28 envelope: ${JSON.stringify(w)}`,
    );
  }
  ok(`no initialize on the wire; ${wire.length} requests all 2026-07-28 (${[...new Set(methods)].join(', ')})`);
}

function newClient() {
  const mode = NEGOTIATION === 'pin' ? { pin: MODERN } : 'auto';
  return new Client({ name: 'mcp-oauth-interop-ts-v2', version: '1.0.0' }, { versionNegotiation: { mode } });
}

function checkNegotiated(client) {
  const v = client.getNegotiatedProtocolVersion();
  check(v === MODERN, `negotiated ${v}, not ${MODERN}`);
  ok(`connected with versionNegotiation ${NEGOTIATION}: protocol ${v}, server ${client.getServerVersion()?.name}`);
}

function structured(result, tool) {
  check(!result.isError, `${tool} failed: ${JSON.stringify(result.content)}`);
  check(result.structuredContent && typeof result.structuredContent === 'object', `${tool}: no structuredContent`);
  return result.structuredContent;
}

async function exerciseTools(client) {
  const { tools } = await client.listTools();
  const names = tools.map((t) => t.name);
  for (const n of ['add_memory', 'search_memories', 'create_entities', 'open_nodes']) {
    check(names.includes(n), `tools/list lacks ${n}: ${names}`);
  }
  ok(`tools/list (${names.length} tools)`);
  const marker = `interop-ts2-${randomUUID().slice(0, 8)}`;
  const added = structured(
    await client.callTool({ name: 'add_memory', arguments: { content: `TypeScript SDK v2 was here ${marker}` } }),
    'add_memory',
  );
  const found = structured(await client.callTool({ name: 'search_memories', arguments: { query: marker } }), 'search_memories');
  check(found.memories.some((m) => m.id === added.id), `search_memories did not find ${marker}`);
  ok('add_memory + search_memories finds it');
}

class InteropProvider {
  constructor() {
    this.client = undefined;
    this.current = undefined;
    this.verifier = undefined;
    this.authorizationUrl = undefined;
    this.expectedState = undefined;
  }
  get redirectUrl() {
    return REDIRECT_URI;
  }
  get clientMetadataUrl() {
    return CLIENT_METADATA_URL;
  }
  get clientMetadata() {
    return {
      client_name: 'mcp-oauth interop (TypeScript SDK v2)',
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
  saveDiscoveryState(state) {
    this.discovery = state;
  }
  discoveryState() {
    return this.discovery;
  }
}

async function withStaticToken() {
  const transport = new StreamableHTTPClientTransport(MCP_URL, {
    requestInit: { headers: { Authorization: `Bearer ${TOKEN}` } },
    fetch: recordingFetch,
  });
  const client = newClient();
  await client.connect(transport);
  checkNegotiated(client);
  await exerciseTools(client);
  checkWireIsModern();
  await client.close();
}

async function oauthFlow() {
  const username = required('MCP_OAUTH_INTEROP_USERNAME');
  const password = required('MCP_OAUTH_INTEROP_PASSWORD');
  const provider = new InteropProvider();
  const options = { authProvider: provider, fetch: recordingFetch };
  let transport = new StreamableHTTPClientTransport(MCP_URL, options);
  let client = newClient();
  try {
    await client.connect(transport);
    throw new Error('connected without authorization');
  } catch (e) {
    if (!(e instanceof UnauthorizedError)) throw e;
  }
  check(provider.authorizationUrl, 'the SDK did not produce an authorization URL');
  if (CLIENT_METADATA_URL) {
    check(
      provider.client?.client_id === CLIENT_METADATA_URL,
      `the client is ${provider.client?.client_id}, not its metadata document URL ${CLIENT_METADATA_URL}`,
    );
    check(
      provider.authorizationUrl.searchParams.get('client_id') === CLIENT_METADATA_URL,
      'the authorization request does not name the metadata document URL',
    );
    ok(`client known by its metadata document ${CLIENT_METADATA_URL}`);
  } else {
    check(provider.client?.client_id, 'the SDK did not register a client');
    ok(`dynamic registration (${provider.client.client_id}, application_type ${provider.client.application_type ?? 'none'})`);
  }

  const callback = await browse(provider.authorizationUrl.href, REDIRECT_URI, { username, password });
  check(callback.searchParams.get('state') === provider.expectedState, 'state mismatch');
  await transport.finishAuth(callback.searchParams);
  check(provider.current?.access_token?.startsWith('mcp_at_'), 'no mcp_at_ access token');
  ok('login, consent and token exchange (iss checked by the SDK)');

  transport = new StreamableHTTPClientTransport(MCP_URL, options);
  client = newClient();
  await client.connect(transport);
  checkNegotiated(client);
  await exerciseTools(client);
  checkWireIsModern();
  await client.close();
  if (CLIENT_METADATA_URL) {
    const registrations = oauthWire.filter((w) => new URL(w.url).pathname.endsWith('/register'));
    check(registrations.length === 0, `registration requests went out: ${JSON.stringify(registrations)}`);
    ok(`no registration request among the ${oauthWire.length} OAuth requests`);
  }
}

/** The document is served over https and names itself: what the authorization server will fetch. */
async function checkMetadataDocument() {
  const res = await fetch(CLIENT_METADATA_URL);
  check(res.ok, `GET ${CLIENT_METADATA_URL} answered ${res.status}`);
  const doc = await res.json();
  check(doc.client_id === CLIENT_METADATA_URL, `the document names ${doc.client_id}`);
  check(doc.redirect_uris?.includes(REDIRECT_URI), `the document does not list ${REDIRECT_URI}`);
  ok(`metadata document served over https (${doc.client_name})`);
}

try {
  if (CLIENT_METADATA_URL) await checkMetadataDocument();
  if (TOKEN) await withStaticToken();
  else await oauthFlow();
  console.log('all ok');
} catch (e) {
  fail(e?.stack ?? String(e));
}
