// The pages. Each takes the <main> element and its route's parameters, draws itself, and returns a
// function that stops whatever it keeps running (event subscriptions, sockets, timers).
import { api, h, table, subscribe, errorText } from './api.js';

const enc = encodeURIComponent;

/**
 * A part of a page that loads with `load()`, draws with `draw(data)`, and loads again when an event of
 * `types` arrives (coalesced), and every `pollMs` for what no event announces.
 */
function live(container, { load, draw, types = [], pollMs = 0 }) {
  let stopped = false;
  let timer = null;
  let running = false;
  let again = false;
  async function refresh() {
    if (running) { again = true; return; }
    running = true;
    try {
      const data = await load();
      if (!stopped) container.replaceChildren(draw(data));
    } catch (e) {
      if (!stopped) container.replaceChildren(h('p', { class: 'error', role: 'alert' }, errorText(e)));
    } finally {
      running = false;
      if (again && !stopped) { again = false; refresh(); }
    }
  }
  function soon() {
    if (!timer) timer = setTimeout(() => { timer = null; refresh(); }, 150);
  }
  refresh();
  const unsubscribe = types.length ? subscribe(types, soon) : () => {};
  const poll = pollMs ? setInterval(refresh, pollMs) : null;
  return () => {
    stopped = true;
    unsubscribe();
    if (poll) clearInterval(poll);
    if (timer) clearTimeout(timer);
  };
}

function link(href, text) {
  return h('a', { href }, text);
}

function statusBadge(status) {
  return h('span', { class: `status status-${String(status).toLowerCase().replace(/[^a-z-]/g, '-')}` }, status);
}

function imageText(image) {
  if (!image) return '';
  return image.url || (image.library ? `library: ${image.library}` : JSON.stringify(image));
}

function memoryText(memory) {
  return typeof memory === 'number' ? `${memory} MiB` : memory ?? '';
}

function message(kind, text) {
  return h('p', { class: kind, role: kind === 'error' ? 'alert' : 'status' }, text);
}

async function deleteVm(vm, out) {
  if (!window.confirm(`Delete the VM ${vm.name || vm.id}?`)) return false;
  try {
    await api('DELETE', `/vms/${enc(vm.id)}`);
    out.replaceChildren(message('ok', `Deleting ${vm.name || vm.id}.`));
    return true;
  } catch (e) {
    out.replaceChildren(message('error', errorText(e)));
    return false;
  }
}

function field(label, input) {
  return h('label', {}, h('span', {}, label), input);
}

function createForm(out) {
  const form = h('form', { class: 'create', 'aria-labelledby': 'create-heading' },
    h('h2', { id: 'create-heading' }, 'Create a VM'),
    field('Image URL', h('input', { name: 'url', type: 'url', required: true, placeholder: 'https://example.org/disk.qcow2' })),
    field('Checksum', h('input', { name: 'checksum', required: true, pattern: '[0-9a-fA-F]+', placeholder: 'hex digest' })),
    field('Checksum type', h('select', { name: 'checksum_type' },
      ['sha256', 'sha512', 'sha1', 'md5'].map((t) => h('option', { value: t }, t)))),
    field('CPUs', h('input', { name: 'cpus', type: 'number', min: '1', placeholder: 'default' })),
    field('Memory', h('input', { name: 'memory', placeholder: 'e.g. 512mib, 1gib' })),
    field('Name', h('input', { name: 'name', placeholder: 'optional' })),
    h('label', { class: 'check' }, h('input', { name: 'launch_gui', type: 'checkbox' }), h('span', {}, 'Graphical screen (launch_gui)')),
    h('button', { type: 'submit' }, 'Create'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const f = new FormData(form);
    const body = { image: { url: f.get('url'), checksum: f.get('checksum').trim(), checksum_type: f.get('checksum_type') } };
    if (f.get('cpus')) body.cpus = Number(f.get('cpus'));
    if (f.get('memory')) body.memory = /^\d+$/.test(f.get('memory')) ? Number(f.get('memory')) : f.get('memory');
    if (f.get('name')) body.name = f.get('name');
    if (f.get('launch_gui')) body.launch_gui = true;
    const button = form.querySelector('button');
    button.disabled = true;
    try {
      const vm = await api('POST', '/vms', body);
      out.replaceChildren(h('p', { class: 'ok', role: 'status' }, 'Creating ', link(`#/vms/${enc(vm.id)}`, vm.name || vm.id), '.'));
      form.reset();
    } catch (err) {
      out.replaceChildren(message('error', errorText(err)));
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

export function vmsPage(main) {
  const out = h('div', { class: 'messages', 'aria-live': 'polite' });
  const list = h('div', { class: 'list' }, 'Loading…');
  main.replaceChildren(h('h1', {}, 'VMs'), out, list, createForm(out));
  return live(list, {
    load: () => api('GET', '/vms'),
    types: ['vm'],
    draw: (vms) => table('Virtual machines', [
      ['Name', (vm) => link(`#/vms/${enc(vm.id)}`, vm.name || vm.id)],
      ['Status', (vm) => statusBadge(vm.status)],
      ['IP address', (vm) => vm.ip_address || ''],
      ['CPUs', (vm) => vm.cpus ?? ''],
      ['Memory', (vm) => memoryText(vm.memory)],
      ['Image', (vm) => imageText(vm.image)],
      ['', (vm) => vm.status === 'deleting' ? ''
        : h('button', { type: 'button', class: 'danger', 'aria-label': `Delete ${vm.name || vm.id}`, onclick: () => deleteVm(vm, out) }, 'Delete')],
    ], vms, 'No VMs yet.'),
  });
}

function details(pairs) {
  return h('dl', { class: 'details' }, pairs.filter(([, v]) => v !== undefined && v !== null && v !== '')
    .flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

export function vmPage(main, { id }) {
  const out = h('div', { class: 'messages', 'aria-live': 'polite' });
  const info = h('div', {}, 'Loading…');
  const heading = h('h1', {}, `VM ${id}`);
  const del = h('button', { type: 'button', class: 'danger' }, 'Delete this VM');
  main.replaceChildren(h('p', {}, link('#/vms', '← VMs')), heading, out, info, del);
  let current = null;
  del.addEventListener('click', async () => {
    if (current && await deleteVm(current, out)) del.disabled = true;
  });
  const parts = [];
  let started = false;
  let stopped = false;
  const stopInfo = live(info, {
    load: () => api('GET', `/vms/${enc(id)}`),
    types: ['vm'],
    draw: (vm) => {
      current = vm;
      heading.textContent = `VM ${vm.name || vm.id}`;
      if (!started) {
        // The console and screen are drawn once, below the details: redrawing would drop the session.
        // Their libraries load only here, so the lists load without them.
        started = true;
        (async () => {
          const { serialConsole } = await import('./console.js');
          if (stopped) return;
          const c = serialConsole(vm.id);
          parts.push(c);
          main.append(c.element);
          c.start();
          if (vm.launch_gui) {
            const { graphicalScreen } = await import('./screen.js');
            if (stopped) return;
            const sc = graphicalScreen(vm.id);
            parts.push(sc);
            main.append(sc.element);
            sc.start();
          }
        })().catch((e) => out.replaceChildren(message('error', errorText(e))));
      }
      return h('div', {},
        details([['ID', vm.id], ['Name', vm.name], ['Status', statusBadge(vm.status)], ['IP address', vm.ip_address],
          ['CPUs', vm.cpus], ['Memory', memoryText(vm.memory)], ['Image', imageText(vm.image)],
          ['Network', vm.network_type], ['Guest OS', vm.guest_os], ['Graphical screen', vm.launch_gui ? 'yes' : 'no'],
          ['Tags', vm.tags && Object.keys(vm.tags).length ? Object.entries(vm.tags).map(([k, v]) => `${k}=${v}`).join(', ') : ''],
          ['Error', vm.error ? `${vm.error.code}: ${vm.error.message}` : '']]));
    },
  });
  return () => {
    stopped = true;
    stopInfo();
    for (const p of parts) p.stop();
  };
}

export function hostsPage(main) {
  const list = h('div', {}, 'Loading…');
  main.replaceChildren(h('h1', {}, 'Hosts'), list);
  return live(list, {
    load: () => api('GET', '/hosts'),
    types: ['vm'],
    pollMs: 10000,
    draw: (hosts) => table('Hosts', [
      ['Name', (x) => link(`#/vms/${enc(x.uuid)}`, x.name)], ['State', (x) => statusBadge(x.state)], ['IP address', (x) => x.ip_address || ''],
      ['CPUs', (x) => x.cpus ?? ''], ['Memory', (x) => x.memory ? `${x.memory} MiB` : ''],
      ['Domain ID', (x) => x.id],
    ], hosts, 'No hosts.'),
  });
}

export function networksPage(main) {
  const list = h('div', {}, 'Loading…');
  main.replaceChildren(h('h1', {}, 'Networks'), list);
  return live(list, {
    load: () => api('GET', '/networks'),
    pollMs: 5000,
    draw: (networks) => table('Networks', [
      ['Name', (n) => n.name], ['State', (n) => statusBadge(n.state)], ['Bridge', (n) => n.bridge || ''],
      ['Subnet', (n) => n.subnet || ''], ['VLAN', (n) => n.vlan ?? ''], ['Autostart', (n) => n.autostart ? 'yes' : 'no'],
    ], networks, 'No networks.'),
  });
}

export function groupsPage(main) {
  const list = h('div', {}, 'Loading…');
  main.replaceChildren(h('h1', {}, 'Groups'), list);
  return live(list, {
    load: () => api('GET', '/groups'),
    types: ['vm'],
    pollMs: 10000,
    draw: (groups) => table('Groups', [
      ['Name', (g) => link(`#/groups/${enc(g.name)}`, g.name)], ['Template', (g) => g.template || ''],
      ['Size', (g) => g.size ?? ''], ['Actual', (g) => g.actual ?? ''], ['Ready', (g) => g.ready ?? ''],
      ['Outdated', (g) => g.outdated ?? ''], ['Plan', (g) => g.plan || ''],
    ], groups, 'No groups.'),
  });
}

export function groupPage(main, { name }) {
  const body = h('div', {}, 'Loading…');
  main.replaceChildren(h('p', {}, link('#/groups', '← Groups')), h('h1', {}, `Group ${name}`), body);
  return live(body, {
    load: () => api('GET', `/groups/${enc(name)}`),
    types: ['vm'],
    pollMs: 10000,
    draw: (g) => h('div', {},
      details([['Template', g.template], ['Size', g.size], ['Actual', g.actual], ['Ready', g.ready], ['Outdated', g.outdated],
        ['Rolling', g.rolling ? 'yes' : 'no'], ['Unhealthy', (g.unhealthy || []).join(', ')]]),
      h('h2', {}, 'Plan'),
      h('p', { class: 'plan' }, g.plan || 'Nothing to do.'),
      h('h2', {}, 'Members'),
      table('Members', [
        ['Logical ID', (m) => m.logical_id || ''], ['Name', (m) => link(`#/vms/${enc(m.id)}`, m.name || m.id)],
        ['Status', (m) => statusBadge(m.status)], ['IP address', (m) => m.ip_address || ''],
        ['Outdated', (m) => m.outdated ? 'yes' : 'no'],
      ], g.members || [], 'No members.'),
      (g.events || []).length ? [h('h2', {}, 'Events'),
        h('ul', { class: 'events' }, g.events.slice(-20).map((e) => h('li', {}, typeof e === 'string' ? e : eventText(e))))] : null),
  });
}

function eventText(e) {
  return [e.time || e.at, e.kind || e.type, e.message || e.detail].filter(Boolean).join(' ') || JSON.stringify(e);
}

const BUILD_KINDS = [['base', 'base_images', 'base_image', 'Base image'], ['target', 'target_images', 'target_image', 'Target image'],
  ['provider', 'provider_images', 'provider_image', 'Provider image']];

function progress(image) {
  const pct = image.percent_complete ?? 0;
  return h('span', { class: 'progress' }, h('progress', { max: '100', value: String(pct), 'aria-label': `${pct} percent` }), ` ${pct}%`);
}

export function buildsPage(main) {
  const list = h('div', {}, 'Loading…');
  main.replaceChildren(h('h1', {}, 'Builds'), list);
  return live(list, {
    load: async () => {
      const lists = await Promise.all(BUILD_KINDS.map(([, plural]) => api('GET', `/imagefactory/${plural}`)));
      return BUILD_KINDS.flatMap(([kind, plural, , label], i) => (lists[i][plural] || []).map((b) => ({ ...b, kind, label })));
    },
    types: ['operation'],
    pollMs: 10000,
    draw: (builds) => table('Image builds', [
      ['Kind', (b) => b.label], ['ID', (b) => link(`#/builds/${b.kind}/${enc(b.id)}`, b.id)],
      ['Status', (b) => statusBadge(b.status)], ['Progress', progress],
      ['Target', (b) => b.target || ''], ['Provider', (b) => b.provider || ''], ['Updated', (b) => b.updated || b.created || ''],
    ], builds.sort((a, b) => String(b.created || '').localeCompare(String(a.created || ''))), 'No builds.'),
  });
}

export function buildPage(main, { kind, id }) {
  const entry = BUILD_KINDS.find(([k]) => k === kind);
  const body = h('div', {}, 'Loading…');
  main.replaceChildren(h('p', {}, link('#/builds', '← Builds')), h('h1', {}, `${entry ? entry[3] : 'Build'} ${id}`), body);
  if (!entry) {
    body.replaceChildren(message('error', `no such kind of build: ${kind}`));
    return () => {};
  }
  const [, plural, singular] = entry;
  return live(body, {
    load: () => api('GET', `/imagefactory/${plural}/${enc(id)}`),
    types: ['operation'],
    pollMs: 5000,
    draw: (wrapped) => {
      const b = wrapped[singular] || wrapped;
      const detail = b.status_detail && typeof b.status_detail === 'object' ? Object.values(b.status_detail).filter(Boolean).join('; ') : '';
      return h('div', {},
        details([['Status', statusBadge(b.status)], ['Progress', progress(b)], ['Detail', detail],
          ['Template', b.template], ['Target', b.target], ['Provider', b.provider],
          ['Identifier on provider', b.identifier_on_provider], ['Download', b.url ? link(b.url, b.url) : ''],
          ['Checksum', b.checksum ? `${b.checksum_type || ''} ${b.checksum}` : ''],
          ['Created', b.created], ['Updated', b.updated]]));
    },
  });
}

export function loginPage(main, params, session) {
  const out = h('div', { class: 'messages', 'aria-live': 'polite' });
  const form = h('form', { class: 'login', 'aria-labelledby': 'login-heading' },
    h('h1', { id: 'login-heading' }, 'Log in'),
    h('p', {}, 'This Hangar wants one of its OAuth clients, its key and secret, to show and change its VMs.'),
    field('Client key', h('input', { name: 'client', required: true, autocomplete: 'username' })),
    field('Secret', h('input', { name: 'secret', type: 'password', required: true, autocomplete: 'current-password' })),
    h('button', { type: 'submit' }, 'Log in'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const f = new FormData(form);
    try {
      await api('POST', '/ui/session', { client: f.get('client'), secret: f.get('secret') });
      await session.refresh();
      // Back to the page that asked for the login (only a page of this console: a path, never a URL).
      const then = params.then && params.then.startsWith('/') && !params.then.startsWith('//') ? params.then : '/vms';
      location.hash = '#' + then;
    } catch (err) {
      out.replaceChildren(message('error', errorText(err)));
    }
  });
  main.replaceChildren(form, out);
  if (session.state && !session.state.oauth) out.replaceChildren(message('ok', 'OAuth is off here: no login is needed.'));
  return () => {};
}
