// A VM's graphical screen (VMs created with launch_gui): noVNC over GET /vms/:id/vnc/ws, raw RFB bytes.
import RFB from '@novnc/novnc';
import { h, wsUrl } from './api.js';

export function graphicalScreen(vmId) {
  const status = h('p', { class: 'screen-status', role: 'status' }, 'Connecting…');
  const target = h('div', { class: 'vnc', 'aria-label': 'Graphical screen of the VM' });
  const root = h('section', { class: 'screen', 'aria-labelledby': 'screen-heading' },
    h('h2', { id: 'screen-heading' }, 'Screen'), status, target);
  let rfb = null;
  return {
    element: root,
    start() {
      rfb = new RFB(target, wsUrl(`/vms/${encodeURIComponent(vmId)}/vnc/ws`), { wsProtocols: ['binary'] });
      rfb.scaleViewport = true;
      rfb.addEventListener('connect', () => { status.textContent = 'Connected.'; });
      rfb.addEventListener('disconnect', (e) => {
        rfb = null;
        status.textContent = e.detail && e.detail.clean ? 'Disconnected.' : 'The screen is not reachable.';
      });
      rfb.addEventListener('desktopname', (e) => { target.setAttribute('aria-label', `Graphical screen: ${e.detail.name}`); });
    },
    stop() {
      if (rfb) rfb.disconnect();
    },
  };
}
