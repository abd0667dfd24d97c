// Talking to Hangar's own API, from the page's origin. Writes carry X-Hangar-Session so the server
// knows they come from a script of this page (a cross-site form cannot set it), and the session
// cookie, when one is logged in, signs them.

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export async function api(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (method !== 'GET') headers['X-Hangar-Session'] = '1';
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const type = response.headers.get('Content-Type') || '';
  const payload = response.status === 204 ? null
    : type.startsWith('application/json') ? await response.json() : await response.text();
  if (response.status === 401 && method === 'GET' && path !== '/ui/session') {
    // With OAuth on, reads are signed too: this page needs a login first, then comes back here.
    const here = location.hash.replace(/^#/, '') || '/vms';
    if (!here.startsWith('/login')) location.hash = '#/login?then=' + encodeURIComponent(here);
  }
  if (!response.ok) {
    const code = payload && payload.code ? payload.code : 'http-' + response.status;
    const message = payload && payload.message ? payload.message : response.statusText;
    throw new ApiError(response.status, code, message);
  }
  return payload;
}

// One EventSource for the whole page; pages subscribe to the event types they show.
const subscribers = new Set();
let source = null;

function ensureSource() {
  // A stream refused (401 before a login) is closed for good: a new one is opened once a page wants it again.
  if (source && source.readyState === EventSource.CLOSED) source = null;
  if (source) return;
  source = new EventSource('/events');
  for (const type of ['vm', 'operation']) {
    source.addEventListener(type, (e) => {
      let data;
      try { data = JSON.parse(e.data); } catch { return; }
      for (const s of subscribers) if (s.types.includes(type)) s.fn(data);
    });
  }
  // The server drops a client too slow to keep up; everything refetches once it reconnects.
  source.addEventListener('dropped', () => { source.close(); source = null; setTimeout(reconnect, 1000); });
  source.addEventListener('open', () => { for (const s of subscribers) s.fn(null); });
}

function reconnect() {
  if (subscribers.size) ensureSource();
}

/** Calls fn(event) for each event of these types (fn(null) after a reconnect); returns the unsubscribe. */
export function subscribe(types, fn) {
  const s = { types, fn };
  subscribers.add(s);
  ensureSource();
  return () => subscribers.delete(s);
}

/** A DOM element: h('a', {href: '#/vms'}, 'VMs'). Text is always text, never parsed as HTML. */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** A table of rows: columns are [heading, row => cell content]. */
export function table(caption, columns, rows, empty) {
  if (!rows.length) return h('p', { class: 'empty' }, empty);
  return h('table', {},
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, columns.map(([name]) => h('th', { scope: 'col' }, name)))),
    h('tbody', {}, rows.map((r) => h('tr', {}, columns.map(([, cell]) => h('td', {}, cell(r)))))));
}

export function errorText(e) {
  return e instanceof ApiError ? `${e.code}: ${e.message}` : String(e && e.message ? e.message : e);
}

export function wsUrl(path) {
  return (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + path;
}
