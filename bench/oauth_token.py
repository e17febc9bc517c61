#!/usr/bin/env python3
"""Prints an access token for a running server, obtained as a client would: register a public
client (RFC 7591), sign in on the login form, approve on the consent page, redeem the code with
PKCE. For load generators that need a bearer token (bench/wrk-remote.sh, bench/wrk.sh).

    bench/oauth_token.py http://127.0.0.1:8080 USER PASSWORD      # prints one access token
    bench/oauth_token.py http://127.0.0.1:8080 USER PASSWORD 32   # 32 grants of one sign-in:
                                                                  # "CLIENT_ID REFRESH_TOKEN" lines
"""
import base64, hashlib, html, http.cookiejar, json, re, secrets, sys, urllib.parse, urllib.request

base, user, password = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3]
chains = int(sys.argv[4]) if len(sys.argv) > 4 else 0
redirect = "http://127.0.0.1/callback"
jar = http.cookiejar.CookieJar()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args):
        return None


opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)


def call(url, data=None, json_body=None):
    headers = {}
    if json_body is not None:
        data, headers = json.dumps(json_body).encode(), {"content-type": "application/json"}
    elif data is not None:
        data = urllib.parse.urlencode(data).encode()
    try:
        r = opener.open(urllib.request.Request(base + url, data=data, headers=headers))
        return r.status, dict(r.headers), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read().decode()


def hidden(page):
    return {html.unescape(n): html.unescape(v) for n, v in re.findall(r'<input type="hidden" name="([^"]*)" value="([^"]*)">', page)}


_, _, body = call("/api/oauth/register", json_body={"client_name": "bench", "redirect_uris": [redirect], "token_endpoint_auth_method": "none"})
client_id = json.loads(body)["client_id"]
_, _, page = call("/api/oauth/login")
form = hidden(page)
form.update(username=user, password=password)
status, _, _ = call("/api/oauth/login", form)
assert status == 303, f"login answered {status}"


def grant():
    """One authorization (consent + code exchange) under the signed-in session."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    query = urllib.parse.urlencode(dict(response_type="code", client_id=client_id, redirect_uri=redirect, scope="memories:read memories:write entities:read entities:write", state="s", code_challenge=challenge, code_challenge_method="S256"))
    _, _, page = call("/api/oauth/authorize?" + query)
    form = hidden(page)
    form["decision"] = "approve"
    status, headers, _ = call("/api/oauth/authorize", form)
    location = headers.get("Location") or headers.get("location")
    code = urllib.parse.parse_qs(urllib.parse.urlparse(location).query)["code"][0]
    _, _, body = call("/api/oauth/token", dict(grant_type="authorization_code", code=code, redirect_uri=redirect, client_id=client_id, code_verifier=verifier))
    return json.loads(body)


if chains:
    for _ in range(chains):
        print(client_id, grant()["refresh_token"])
else:
    print(grant()["access_token"])
