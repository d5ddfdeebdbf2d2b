// @ts-check
/* global window */

/** A line chart of the last `capacity` values on a canvas: a few lines of drawing instead of a charting library. */
export class LineChart {
  /**
   * @param {HTMLCanvasElement} canvas
   * @param {{ color: string, capacity?: number }} options
   */
  constructor(canvas, { color, capacity = 60 }) {
    this.canvas = canvas;
    this.color = color;
    this.capacity = capacity;
    /** @type {number[]} */
    this.values = [];
  }

  /** @param {number} value */
  push(value) {
    this.values.push(value);
    if (this.values.length > this.capacity) this.values.shift();
    this.draw();
  }

  reset() {
    this.values = [];
    this.draw();
  }

  draw() {
    const { canvas } = this;
    const ratio = window.devicePixelRatio || 1;
    const width = canvas.clientWidth;
    const height = canvas.clientHeight;
    if (width === 0 || height === 0) return;
    if (canvas.width !== Math.round(width * ratio)) canvas.width = Math.round(width * ratio);
    if (canvas.height !== Math.round(height * ratio)) canvas.height = Math.round(height * ratio);
    const ctx = canvas.getContext('2d');
    if (!ctx) return;
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, width, height);

    // Grid: a baseline and a midline, labelled with the scale's top.
    const max = Math.max(1, ...this.values);
    const top = niceCeiling(max);
    ctx.strokeStyle = '#eceef2';
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.moveTo(0, height - 0.5);
    ctx.lineTo(width, height - 0.5);
    ctx.moveTo(0, Math.round(height / 2) + 0.5);
    ctx.lineTo(width, Math.round(height / 2) + 0.5);
    ctx.stroke();
    ctx.fillStyle = '#9aa1b1';
    ctx.font = '10px system-ui, sans-serif';
    ctx.fillText(String(top), 2, 10);

    if (this.values.length === 0) return;
    const step = width / (this.capacity - 1);
    const x0 = width - (this.values.length - 1) * step;
    const y = (/** @type {number} */ v) => height - 2 - (v / top) * (height - 14);

    ctx.beginPath();
    this.values.forEach((v, i) => (i === 0 ? ctx.moveTo(x0, y(v)) : ctx.lineTo(x0 + i * step, y(v))));
    ctx.strokeStyle = this.color;
    ctx.lineWidth = 1.75;
    ctx.lineJoin = 'round';
    ctx.stroke();

    ctx.lineTo(x0 + (this.values.length - 1) * step, height);
    ctx.lineTo(x0, height);
    ctx.closePath();
    ctx.globalAlpha = 0.12;
    ctx.fillStyle = this.color;
    ctx.fill();
    ctx.globalAlpha = 1;
  }
}

/** 1, 2, 5, 10, 20, 50… at or above `n`, so the scale reads well. */
function niceCeiling(/** @type {number} */ n) {
  const magnitude = 10 ** Math.floor(Math.log10(n));
  for (const m of [1, 2, 5, 10]) if (m * magnitude >= n) return m * magnitude;
  return 10 * magnitude;
}
