/** Live training curves (uPlot): one small chart per series, appended to as steps arrive. */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface Curve {
  push(x: number, y: number): void;
  clear(): void;
}

export function curve(container: HTMLElement, label: string, color: string, options: { log?: boolean } = {}): Curve {
  const xs: number[] = [];
  const ys: number[] = [];
  const plot = new uPlot(
    {
      title: label,
      width: 320,
      height: 180,
      legend: { show: false },
      scales: { x: { time: false }, y: options.log ? { distr: 3 } : {} },
      axes: [{ label: 'step' }, {}],
      series: [{}, { label, stroke: color, width: 2, points: { show: false } }],
    },
    [xs, ys],
    container,
  );
  return {
    push(x, y) {
      xs.push(x);
      ys.push(y);
      plot.setData([xs, ys]);
    },
    clear() {
      xs.length = 0;
      ys.length = 0;
      plot.setData([xs, ys]);
    },
  };
}
