// A VM's serial console: xterm.js over GET /vms/:id/console/ws, and its text mirrored into a plain
// <pre> so a screen reader (aria-live) and a test read what the terminal shows, not only a drawing.
import { Terminal } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
import '@xterm/xterm/css/xterm.css';
import { api, h, wsUrl, errorText } from './api.js';

const MIRROR_LINES = 500;

export function serialConsole(vmId) {
  const status = h('p', { class: 'console-status', role: 'status' }, 'Connecting…');
  const screen = h('div', { class: 'terminal' });
  const mirror = h('pre', { class: 'console-text', 'aria-live': 'polite', 'aria-atomic': 'false', 'aria-relevant': 'additions',
    'aria-label': 'Serial console text', tabindex: '0' });
  const root = h('section', { class: 'console', 'aria-labelledby': 'console-heading' },
    h('h2', { id: 'console-heading' }, 'Serial console'),
    status, screen,
    h('details', { open: true }, h('summary', {}, 'Console text'), mirror));

  const term = new Terminal({ screenReaderMode: true, convertEol: false, scrollback: 2000, cursorBlink: true, fontSize: 14 });
  const fit = new FitAddon();
  term.loadAddon(fit);
  let socket = null;
  let poll = null;
  let closed = false;
  let mirrorPending = false;

  // The mirror is the terminal's own buffer as text, so it reads what the terminal shows (line wraps,
  // carriage returns and cursor movement already applied), at most once a frame.
  function updateMirror() {
    if (mirrorPending) return;
    mirrorPending = true;
    requestAnimationFrame(() => {
      mirrorPending = false;
      const buffer = term.buffer.active;
      const lines = [];
      const end = buffer.length;
      for (let i = Math.max(0, end - MIRROR_LINES); i < end; i++) {
        const line = buffer.getLine(i);
        if (!line) continue;
        if (line.isWrapped && lines.length) lines[lines.length - 1] += line.translateToString(true);
        else lines.push(line.translateToString(true));
      }
      while (lines.length && lines[lines.length - 1] === '') lines.pop();
      while (lines.length && lines[0] === '') lines.shift();
      // Follows the end, as the terminal does, unless the reader scrolled up.
      const atEnd = mirror.scrollHeight - mirror.scrollTop - mirror.clientHeight < 24;
      // New output is appended as its own text node, so a screen reader announces only what is new.
      const text = lines.join('\n');
      const old = mirror.textContent;
      if (text !== old) {
        if (old && text.startsWith(old)) mirror.append(text.slice(old.length));
        else mirror.textContent = text;
        if (mirror.childNodes.length > 200) mirror.textContent = text;
      }
      if (atEnd) mirror.scrollTop = mirror.scrollHeight;
    });
  }
  term.onWriteParsed(updateMirror);

  const resize = () => { try { fit.fit(); } catch { /* not laid out yet */ } };
  window.addEventListener('resize', resize);

  // Without a live socket (the VM is not running, or the server has none) the page still shows the
  // console's log, read-only, refreshed every few seconds.
  function fallBackToLog(why) {
    if (closed || poll) return;
    status.textContent = `${why} Showing the console log, read-only.`;
    let shown = '';
    const refresh = async () => {
      try {
        const text = await api('GET', `/vms/${encodeURIComponent(vmId)}/console`);
        if (typeof text === 'string' && text !== shown) {
          const extends_ = text.startsWith(shown);
          if (!extends_) term.reset();
          term.write((extends_ ? text.slice(shown.length) : text).replace(/\r?\n/g, '\r\n'));
          shown = text;
        }
      } catch (e) {
        status.textContent = `${why} The console log: ${errorText(e)}`;
      }
    };
    refresh();
    poll = setInterval(refresh, 3000);
  }

  function connect() {
    let opened = false;
    socket = new WebSocket(wsUrl(`/vms/${encodeURIComponent(vmId)}/console/ws`));
    socket.binaryType = 'arraybuffer';
    socket.onopen = () => {
      opened = true;
      status.textContent = 'Connected: typing goes to the VM.';
    };
    socket.onmessage = (e) => {
      term.write(typeof e.data === 'string' ? e.data : new Uint8Array(e.data));
    };
    socket.onclose = () => {
      socket = null;
      if (closed) return;
      if (opened) status.textContent = 'Disconnected.';
      else fallBackToLog('No live console.');
    };
  }
  term.onData((data) => {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(data);
  });

  return {
    element: root,
    mirror,
    start() {
      term.open(screen);
      resize();
      connect();
    },
    stop() {
      closed = true;
      window.removeEventListener('resize', resize);
      if (socket) socket.close();
      if (poll) clearInterval(poll);
      term.dispose();
    },
  };
}
