"""The official MCP Python SDK client (PyPI `mcp`, `OAuthClientProvider`) against a live mcp-oauth server.

    MCP_OAUTH_INTEROP_URL       the server's issuer, e.g. http://127.0.0.1:8080 (required)
    MCP_OAUTH_INTEROP_USERNAME  a local account (required for the OAuth flow)
    MCP_OAUTH_INTEROP_PASSWORD
    MCP_OAUTH_INTEROP_TOKEN     if set: skip OAuth and use this access token (MCP part only)

The SDK discovers everything from a bare 401 (protected-resource metadata, then the authorization
server's), registers dynamically and builds the authorization URL with PKCE. This script plays the
browser: it GETs that URL, fills in the login form, approves the consent form and reads `code`,
`state` and `iss` from the 302 to the redirect URI, where nothing listens. Then: the SDK's
`server/discover` probe, which must land on MCP 2026-07-28 (no `initialize`), tools/list, add_memory + search_memories, create_entities +
open_nodes, a forced refresh (the token's expiry is moved into the past), another call, revocation,
and a final call that must fail with 401. Prints one `ok - ...` line per step; exits non-zero at
the first failure.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
import uuid
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlencode, urljoin, urlparse

import httpx2
from mcp import Client
from mcp.client.auth import AuthorizationCodeResult, OAuthClientProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import OAuthClientInformationFull, OAuthClientMetadata, OAuthToken

REDIRECT_URI = "http://127.0.0.1:33419/callback"
MAX_BROWSER_STEPS = 12


def ok(step: str) -> None:
    print(f"ok - {step}", flush=True)


def check(condition: object, message: str) -> None:
    if not condition:
        raise AssertionError(message)


def required(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        print(f"not ok - {name} is not set", file=sys.stderr)
        sys.exit(1)
    return value


class MemoryStorage:
    """The SDK's TokenStorage, in memory: one run, one client."""

    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client_info: OAuthClientInformationFull | None = None
        self.tokens_saved = 0

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens
        self.tokens_saved += 1

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client_info

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client_info = client_info


# ---- the browser ------------------------------------------------------------------------------


class FormParser(HTMLParser):
    """Every form: action, method, named fields (inputs, checked boxes, textareas), submit controls."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._form: dict | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self._form = {"action": a.get("action"), "method": a.get("method"), "fields": [], "submits": []}
            self.forms.append(self._form)
            return
        if self._form is None or not a.get("name"):
            return
        if tag in ("input", "button"):
            kind = a.get("type", "submit" if tag == "button" else "text").lower()
            if kind in ("submit", "image"):
                self._form["submits"].append((a["name"], a.get("value", "")))
            elif kind in ("button", "reset", "file"):
                pass
            elif kind in ("checkbox", "radio") and "checked" not in a:
                pass
            else:
                self._form["fields"].append((a["name"], a.get("value", ""), kind))
        elif tag == "textarea":
            self._textarea = a["name"]
            self._form["fields"].append((a["name"], "", "textarea"))

    def handle_data(self, data: str) -> None:
        if self._form is not None and self._textarea is not None:
            name, value, kind = self._form["fields"][-1]
            self._form["fields"][-1] = (name, value + data, kind)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "textarea":
            self._textarea = None


def choose_form(forms: list[dict], username: str, password: str) -> tuple[dict, list[tuple[str, str]]]:
    """The login form (it has a password field), else the consent form with decision=approve."""
    check(forms, "the page has no form")
    for form in forms:
        if any(kind == "password" for _, _, kind in form["fields"]):
            fields: list[tuple[str, str]] = []
            user_set = False
            for name, value, kind in form["fields"]:
                if kind == "password":
                    value = password
                elif not user_set and (name == "username" or kind in ("text", "email")):
                    value, user_set = username, True
                fields.append((name, value))
            return form, fields + form["submits"][:1]
    for form in forms:
        plain = [(n, v) for n, v, _ in form["fields"]]
        approve = [s for s in form["submits"] if s == ("decision", "approve")]
        if approve:
            return form, plain + approve
        if ("decision", "approve") in plain:
            return form, plain
    form = forms[0]
    return form, [(n, v) for n, v, _ in form["fields"] if n != "decision"] + [("decision", "approve")]


async def browse(start_url: str, username: str, password: str) -> AuthorizationCodeResult:
    """Follows the authorization URL through login and consent to the redirect back to the client."""
    async with httpx2.AsyncClient(follow_redirects=False, timeout=30) as http:
        method, url, data = "GET", start_url, None
        for _ in range(MAX_BROWSER_STEPS):
            headers = {"accept": "text/html"}
            body = None
            if data is not None:
                # Encoded here: a list of pairs keeps repeated names and the form's order.
                headers["content-type"] = "application/x-www-form-urlencoded"
                body = urlencode(data).encode()
            resp = await http.request(method, url, content=body, headers=headers)
            if 300 <= resp.status_code < 400:
                location = urljoin(url, resp.headers["location"])
                if location.startswith(REDIRECT_URI):
                    query = parse_qs(urlparse(location).query)
                    check("code" in query, f"no code in the redirect: {location}")
                    first = lambda k: query[k][0] if k in query else None  # noqa: E731
                    return AuthorizationCodeResult(code=first("code"), state=first("state"), iss=first("iss"))
                method, url, data = "GET", location, None
                continue
            check(resp.status_code == 200, f"{method} {url}: HTTP {resp.status_code}: {resp.text[:500]}")
            parser = FormParser()
            parser.feed(resp.text)
            form, fields = choose_form(parser.forms, username, password)
            url = urljoin(url, form["action"] or url)
            method = (form["method"] or "POST").upper()
            if method == "GET":
                url = f"{url.split('?')[0]}?{urlencode(fields)}"
                data = None
            else:
                data = fields
        raise AssertionError(f"no redirect to {REDIRECT_URI} after {MAX_BROWSER_STEPS} steps")


# ---- the MCP part -----------------------------------------------------------------------------


def structured(result, tool: str) -> dict:
    check(not result.is_error, f"{tool} failed: {result.content}")
    data = result.structured_content
    check(isinstance(data, dict), f"{tool}: no structuredContent")
    check(json.loads(result.content[0].text) == data, f"{tool}: the text block differs from structuredContent")
    return data


async def exercise_tools(client: Client) -> None:
    names = [t.name for t in (await client.list_tools()).tools]
    for n in ("add_memory", "search_memories", "create_entities", "open_nodes"):
        check(n in names, f"tools/list lacks {n}: {names}")
    ok(f"tools/list ({len(names)} tools)")

    marker = f"interop-py-{uuid.uuid4().hex[:8]}"
    added = structured(
        await client.call_tool("add_memory", {"content": f"Python SDK was here {marker}", "tags": ["interop"]}),
        "add_memory",
    )
    check(isinstance(added.get("id"), int), f"add_memory returned no id: {added}")
    found = structured(await client.call_tool("search_memories", {"query": marker}), "search_memories")
    check(any(m["id"] == added["id"] for m in found["memories"]), f"search_memories did not find {marker}")
    ok("add_memory + search_memories finds it")

    entity = {"name": f"Py-{marker}", "entityType": "runtime", "observations": ["speaks MCP"]}
    structured(await client.call_tool("create_entities", {"entities": [entity]}), "create_entities")
    opened = structured(await client.call_tool("open_nodes", {"names": [entity["name"]]}), "open_nodes")
    check(opened["entities"] == [entity], f"open_nodes: {opened}")
    ok("create_entities + open_nodes")


def check_modern(client: Client) -> None:
    """The SDK's default negotiation lands on 2026-07-28 against this server."""
    check(client.protocol_version == "2026-07-28", f"negotiated {client.protocol_version}, not 2026-07-28")
    ok(f"server/discover probe: protocol {client.protocol_version}")


async def with_static_token(mcp_url: str, token: str) -> None:
    async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=30) as http:
        async with Client(streamable_http_client(mcp_url, http_client=http)) as client:
            check_modern(client)
            await exercise_tools(client)


async def discover_from_bare_401(mcp_url: str) -> dict:
    async with httpx2.AsyncClient(timeout=30) as http:
        resp = await http.post(mcp_url, json={"jsonrpc": "2.0", "id": 1, "method": "ping"})
        check(resp.status_code == 401, f"bare request: expected 401, got {resp.status_code}")
        challenge = resp.headers.get("www-authenticate", "")
        check('resource_metadata="' in challenge, f"401 without resource_metadata: {challenge}")
        prm_url = challenge.split('resource_metadata="', 1)[1].split('"', 1)[0]
        prm = (await http.get(prm_url)).json()
        check(prm["resource"] == mcp_url, f"resource {prm['resource']} != {mcp_url}")
        issuer = prm["authorization_servers"][0]
        asm = (await http.get(f"{issuer}/.well-known/oauth-authorization-server")).json()
        check(asm["issuer"] == issuer, f"issuer mismatch: {asm['issuer']} != {issuer}")
    ok("discovery: bare 401 -> protected-resource metadata -> authorization-server metadata")
    return asm


async def oauth_flow(mcp_url: str) -> None:
    username = required("MCP_OAUTH_INTEROP_USERNAME")
    password = required("MCP_OAUTH_INTEROP_PASSWORD")
    asm = await discover_from_bare_401(mcp_url)

    storage = MemoryStorage()
    pending: dict[str, str] = {}
    revoked = False

    async def redirect_handler(authorization_url: str) -> None:
        check(not revoked, "refusing to authorize again after revocation, as this test intends")
        query = parse_qs(urlparse(authorization_url).query)
        check(query.get("code_challenge_method") == ["S256"], "no PKCE S256")
        pending["url"] = authorization_url

    async def callback_handler() -> AuthorizationCodeResult:
        result = await browse(pending.pop("url"), username, password)
        check(result.iss == asm["issuer"], f"iss {result.iss} != {asm['issuer']}")
        ok("login and consent driven over HTTP; code, state and iss returned")
        return result

    auth = OAuthClientProvider(
        server_url=mcp_url,
        client_metadata=OAuthClientMetadata(
            client_name="mcp-oauth interop (Python SDK)",
            redirect_uris=[REDIRECT_URI],
            grant_types=["authorization_code", "refresh_token"],
            response_types=["code"],
        ),
        storage=storage,
        redirect_handler=redirect_handler,
        callback_handler=callback_handler,
    )
    # The status of every answer from /api/mcp, as the SDK's HTTP client saw it.
    mcp_statuses: list[int] = []

    async def record(response: httpx2.Response) -> None:
        if str(response.request.url) == mcp_url:
            mcp_statuses.append(response.status_code)

    async with httpx2.AsyncClient(auth=auth, timeout=30, event_hooks={"response": [record]}) as http:
        async with Client(streamable_http_client(mcp_url, http_client=http)) as client:
            check(storage.client_info and storage.client_info.client_id, "the SDK did not register a client")
            check(storage.tokens and storage.tokens.access_token.startswith("mcp_at_"), "no mcp_at_ token")
            check(storage.tokens.refresh_token and storage.tokens.refresh_token.startswith("mcp_rt_"), "no mcp_rt_")
            ok(f"dynamic registration ({storage.client_info.client_id}), token exchange")
            check_modern(client)
            await exercise_tools(client)

            # Forced refresh: the SDK refreshes before a request once the token has expired.
            before = storage.tokens
            saved = storage.tokens_saved
            auth.context.token_expiry_time = time.time() - 1
            structured(await client.call_tool("list_memories", {"limit": 1}), "list_memories")
            check(storage.tokens_saved == saved + 1, "the SDK did not refresh")
            check(storage.tokens.access_token != before.access_token, "refresh returned the same access token")
            check(storage.tokens.refresh_token != before.refresh_token, "the refresh token was not rotated")
            ok("forced refresh, rotated refresh token, call succeeds")

        stale = storage.tokens.access_token
        info = storage.client_info
        credentials = {"client_id": info.client_id}
        if info.client_secret:
            credentials["client_secret"] = info.client_secret
        async with httpx2.AsyncClient(timeout=30) as plain:
            for token, hint in ((stale, "access_token"), (storage.tokens.refresh_token, "refresh_token")):
                resp = await plain.post(
                    asm["revocation_endpoint"], data={"token": token, "token_type_hint": hint, **credentials}
                )
                check(resp.status_code == 200, f"revoking the {hint}: {resp.status_code} {resp.text}")
        ok("revoked the access and refresh tokens")

        # The next connection presents the revoked token: the server must answer 401, after which
        # the SDK starts a new authorization, which this script refuses (see redirect_handler).
        revoked = True
        mcp_statuses.clear()
        try:
            async with Client(streamable_http_client(mcp_url, http_client=http)) as client:
                await client.call_tool("list_memories", {})
        except BaseException as e:  # noqa: BLE001 - the SDK wraps the failure in task groups
            check(mcp_statuses[:1] == [401], f"the call after revocation failed, but the server said {mcp_statuses}: {e!r}")
        else:
            raise AssertionError("a call after revocation succeeded")
        ok("the next call fails with 401")


async def main() -> None:
    base = required("MCP_OAUTH_INTEROP_URL").rstrip("/")
    mcp_url = f"{base}/api/mcp"
    token = os.environ.get("MCP_OAUTH_INTEROP_TOKEN")
    if token:
        await with_static_token(mcp_url, token)
    else:
        await oauth_flow(mcp_url)
    print("all ok", flush=True)


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except SystemExit:
        raise
    except BaseException as e:  # noqa: BLE001 - report whatever failed, as one line
        import traceback

        traceback.print_exc()
        print(f"not ok - {type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(1)
