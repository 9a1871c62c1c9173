// @ts-check
import { wsUrl } from '../api.js';

const KINDS = ['input', 'output'];

/** Input and output pictures side by side from the /preview WebSocket: [kind, 0, 0, 0, w u16, h u16] + RGBA. */
export const previewPanel = {
  id: 'preview',
  title: 'Preview',
  /** @param {HTMLElement} section */
  mount(section) {
    const wrap = document.createElement('div');
    wrap.className = 'previews';
    const canvases = KINDS.map((kind) => {
      const fig = document.createElement('figure');
      const canvas = document.createElement('canvas');
      canvas.id = `preview-${kind}`;
      const caption = document.createElement('figcaption');
      caption.textContent = kind;
      fig.append(canvas, caption);
      wrap.append(fig);
      return canvas;
    });
    section.append(wrap);
    const connect = () => {
      const ws = new WebSocket(wsUrl('/preview'));
      ws.binaryType = 'arraybuffer';
      ws.onmessage = (e) => {
        const view = new DataView(e.data);
        const canvas = canvases[view.getUint8(0)];
        if (!canvas) return;
        const width = view.getUint16(4, true);
        const height = view.getUint16(6, true);
        if (canvas.width !== width || canvas.height !== height) Object.assign(canvas, { width, height });
        canvas.getContext('2d')?.putImageData(new window.ImageData(new Uint8ClampedArray(e.data, 8, width * height * 4), width, height), 0, 0);
      };
      ws.onclose = () => setTimeout(connect, 2000);
    };
    connect();
  },
};
