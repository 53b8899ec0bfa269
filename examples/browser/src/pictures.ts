/** Drawing dataset images and the 2-D embedding onto canvases. */
import type { EmbeddingPoint, RawImages } from './protocol';

/** Tableau 10: one colour per CIFAR-10 class; grey for unlabelled points. */
export const CLASS_COLORS = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

/** A canvas showing image `row` (uint8 RGB) at its own resolution; CSS scales it up. */
export function imageCanvas(images: RawImages, row: number): HTMLCanvasElement {
  const { width, height, pixels } = images;
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const rgba = new ImageData(width, height);
  const offset = row * width * height * 3;
  for (let p = 0; p < width * height; p++) {
    rgba.data.set(pixels.subarray(offset + 3 * p, offset + 3 * p + 3), 4 * p);
    rgba.data[4 * p + 3] = 255;
  }
  canvas.getContext('2d')!.putImageData(rgba, 0, 0);
  return canvas;
}

/** Scatter plot of the embedding, coloured by class; returns the row nearest to a click. */
export function drawScatter(canvas: HTMLCanvasElement, points: EmbeddingPoint[]): (event: MouseEvent) => number | undefined {
  const context = canvas.getContext('2d')!;
  const margin = 8;
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const toCanvas = (p: EmbeddingPoint) => [
    margin + ((p.x - x0) / (x1 - x0 || 1)) * (canvas.width - 2 * margin),
    margin + ((p.y - y0) / (y1 - y0 || 1)) * (canvas.height - 2 * margin),
  ];
  context.clearRect(0, 0, canvas.width, canvas.height);
  for (const point of points) {
    const [cx, cy] = toCanvas(point);
    context.fillStyle = point.label >= 0 ? CLASS_COLORS[point.label % CLASS_COLORS.length] : '#888';
    context.beginPath();
    context.arc(cx, cy, 3, 0, 2 * Math.PI);
    context.fill();
  }
  return (event) => {
    const box = canvas.getBoundingClientRect();
    const [mx, my] = [((event.clientX - box.left) * canvas.width) / box.width, ((event.clientY - box.top) * canvas.height) / box.height];
    let best: EmbeddingPoint | undefined;
    let bestDistance = 12 ** 2;
    for (const point of points) {
      const [cx, cy] = toCanvas(point);
      const distance = (cx - mx) ** 2 + (cy - my) ** 2;
      if (distance < bestDistance) [best, bestDistance] = [point, distance];
    }
    return best?.row;
  };
}
