// Plays the user's browser through login and consent, over plain HTTP: follows redirects by hand,
// keeps cookies, and submits whatever form the server shows, with every <input name=… value=…> of
// that form, so exact field names do not matter. A form with a password field is the login form;
// otherwise the submit control (or field) `decision=approve` is chosen. Stops at the redirect to
// `redirectPrefix` and returns that URL (its `code`, `state`, `iss`).

const MAX_STEPS = 12;

export async function browse(startUrl, redirectPrefix, { username, password }) {
  const jar = new Map();
  let url = startUrl;
  let method = 'GET';
  let body;
  for (let step = 0; step < MAX_STEPS; step++) {
    const headers = { accept: 'text/html' };
    if (jar.size) headers.cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    if (body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
    const res = await fetch(url, { method, headers, body, redirect: 'manual' });
    for (const c of res.headers.getSetCookie()) {
      const pair = c.split(';')[0];
      const i = pair.indexOf('=');
      if (i > 0) jar.set(pair.slice(0, i).trim(), pair.slice(i + 1).trim());
    }
    if (res.status >= 300 && res.status < 400) {
      const next = new URL(res.headers.get('location'), url);
      if (next.href.startsWith(redirectPrefix)) return next;
      url = next.href;
      method = 'GET';
      body = undefined;
      continue;
    }
    const html = await res.text();
    if (res.status !== 200) throw new Error(`${method} ${url}: HTTP ${res.status}: ${html.slice(0, 500)}`);
    const form = chooseForm(parseForms(html), { username, password });
    url = new URL(form.action || url, url).href;
    method = (form.method || 'POST').toUpperCase();
    body = new URLSearchParams(form.fields).toString();
    if (method === 'GET') {
      const u = new URL(url);
      u.search = body;
      url = u.href;
      body = undefined;
    }
  }
  throw new Error(`no redirect to ${redirectPrefix} after ${MAX_STEPS} steps`);
}

function decode(s) {
  return s
    .replace(/&quot;/g, '"')
    .replace(/&#0*39;|&#x0*27;|&apos;/gi, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&#x([0-9a-f]+);/gi, (_, h) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&#([0-9]+);/g, (_, d) => String.fromCodePoint(parseInt(d, 10)))
    .replace(/&amp;/g, '&');
}

function attrs(tag) {
  const out = {};
  const re = /([^\s=\/>]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?/g;
  let m;
  const inner = tag.replace(/^<\s*[a-zA-Z]+/, '').replace(/\/?>$/, '');
  while ((m = re.exec(inner))) {
    out[m[1].toLowerCase()] = decode(m[2] ?? m[3] ?? m[4] ?? '');
  }
  return out;
}

/** Every form: action, method, named fields (inputs, checked boxes, textareas) and submit controls. */
export function parseForms(html) {
  const forms = [];
  for (const m of html.matchAll(/<form\b[^>]*>[\s\S]*?<\/form>/gi)) {
    const open = attrs(m[0].match(/^<form\b[^>]*>/i)[0]);
    const form = { action: open.action, method: open.method, fields: [], submits: [] };
    for (const t of m[0].matchAll(/<(input|button)\b[^>]*>/gi)) {
      const a = attrs(t[0]);
      const kind = t[1].toLowerCase();
      const type = (a.type || (kind === 'button' ? 'submit' : 'text')).toLowerCase();
      if (!a.name) continue;
      if (type === 'submit' || type === 'image') form.submits.push([a.name, a.value ?? '']);
      else if (type === 'button' || type === 'reset' || type === 'file') continue;
      else if ((type === 'checkbox' || type === 'radio') && !('checked' in a)) continue;
      else form.fields.push([a.name, a.value ?? '', type]);
    }
    for (const t of m[0].matchAll(/<textarea\b([^>]*)>([\s\S]*?)<\/textarea>/gi)) {
      const a = attrs(`<textarea ${t[1]}>`);
      if (a.name) form.fields.push([a.name, decode(t[2]), 'textarea']);
    }
    forms.push(form);
  }
  return forms;
}

function chooseForm(forms, { username, password }) {
  if (forms.length === 0) throw new Error('the page has no form');
  const login = forms.find((f) => f.fields.some(([, , type]) => type === 'password'));
  if (login) {
    let userSet = false;
    const fields = login.fields.map(([name, value, type]) => {
      if (type === 'password') return [name, password];
      if (!userSet && (name === 'username' || type === 'text' || type === 'email')) {
        userSet = true;
        return [name, username];
      }
      return [name, value];
    });
    return { ...login, fields: withSubmit(fields, login.submits[0]) };
  }
  for (const f of forms) {
    const approve = f.submits.find(([name, value]) => name === 'decision' && value === 'approve');
    if (approve) return { ...f, fields: withSubmit(f.fields.map(([n, v]) => [n, v]), approve) };
    if (f.fields.some(([name, value]) => name === 'decision' && value === 'approve')) {
      return { ...f, fields: f.fields.map(([n, v]) => [n, v]) };
    }
  }
  const [only] = forms;
  const fields = only.fields.filter(([n]) => n !== 'decision').map(([n, v]) => [n, v]);
  return { ...only, fields: [...fields, ['decision', 'approve']] };
}

function withSubmit(fields, submit) {
  return submit ? [...fields, submit] : fields;
}
