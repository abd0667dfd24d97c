// The web console: a single page, routed by the URL's fragment (#/vms, #/vms/ID, ...).
import './style.css';
import { api, h, errorText } from './api.js';
import { vmsPage, vmPage, hostsPage, networksPage, groupsPage, groupPage, buildsPage, buildPage, loginPage } from './pages.js';

const routes = [
  [/^\/vms$/, vmsPage, 'VMs'],
  [/^\/vms\/(?<id>[^/]+)$/, vmPage, 'VM'],
  [/^\/hosts$/, hostsPage, 'Hosts'],
  [/^\/networks$/, networksPage, 'Networks'],
  [/^\/groups$/, groupsPage, 'Groups'],
  [/^\/groups\/(?<name>[^/]+)$/, groupPage, 'Group'],
  [/^\/builds$/, buildsPage, 'Builds'],
  [/^\/builds\/(?<kind>[^/]+)\/(?<id>[^/]+)$/, buildPage, 'Build'],
  [/^\/login(?:\?then=(?<then>[^&]*))?$/, loginPage, 'Log in'],
];

// Who is logged in (GET /ui/session): {oauth, client}; drawn in the header.
const session = {
  state: null,
  async refresh() {
    const bar = document.getElementById('session');
    try {
      session.state = await api('GET', '/ui/session');
    } catch (e) {
      session.state = { oauth: false, client: null };
      bar.replaceChildren(h('span', { class: 'error' }, errorText(e)));
      return;
    }
    if (!session.state.oauth) {
      bar.replaceChildren();
    } else if (session.state.client) {
      bar.replaceChildren(h('span', {}, `Logged in as ${session.state.client} `),
        h('button', { type: 'button', onclick: logout }, 'Log out'));
    } else {
      bar.replaceChildren(h('a', { href: '#/login' }, 'Log in'), h('span', {}, ' to see and change this Hangar'));
    }
  },
};

async function logout() {
  try {
    await api('DELETE', '/ui/session');
  } finally {
    await session.refresh();
  }
}

let stop = () => {};

function route() {
  stop();
  const main = document.getElementById('main');
  const path = location.hash.replace(/^#/, '') || '/vms';
  for (const [pattern, page, title] of routes) {
    const m = pattern.exec(path);
    if (!m) continue;
    const params = Object.fromEntries(Object.entries(m.groups || {}).filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k, decodeURIComponent(v)]));
    document.title = `${title} · Hangar`;
    for (const a of document.querySelectorAll('nav a')) {
      if (path.startsWith(a.getAttribute('href').slice(1))) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
    stop = page(main, params, session) || (() => {});
    return;
  }
  main.replaceChildren(h('h1', {}, 'Not found'), h('p', {}, 'No page here. ', h('a', { href: '#/vms' }, 'VMs')));
  stop = () => {};
}

window.addEventListener('hashchange', route);
session.refresh();
route();
