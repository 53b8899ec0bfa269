import type { VegaLiteSpec } from './charts';
import { importReportPeer } from './peers';

/**
 * Vega-Lite → SVG in Node, headless (renderer 'none': no canvas, no DOM), and SVG → PNG with
 * sharp. The libraries are optional peers and load on first use, so importing
 * @selfsup/eval/report stays light; a missing one is an `EvalError` that says what to install.
 */
export async function renderSvg(spec: VegaLiteSpec): Promise<string> {
  const vlModule: Record<string, unknown> = await importReportPeer('vega-lite', () => import('vega-lite'));
  const vegaModule: Record<string, unknown> = await importReportPeer('vega', () => import('vega'));
  // vega-lite 5's Node entry is a UMD bundle: its exports may sit on `default`.
  const vl = (typeof vlModule.compile === 'function' ? vlModule : vlModule.default) as typeof import('vega-lite');
  const vega = (typeof vegaModule.View === 'function' ? vegaModule : vegaModule.default) as typeof import('vega');
  const compiled = vl.compile(spec as never).spec;
  // A loader with no way out: specs carry their data inline, and rendering must not reach the network.
  const loader = vega.loader();
  loader.load = async (uri: string) => {
    throw new Error(`report charts load no external data (asked for ${uri})`);
  };
  const view = new vega.View(vega.parse(compiled), { renderer: 'none', loader });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Rasterises an SVG at `scale` × its CSS size (default 2, for sharp text on HiDPI screens). */
export async function svgToPng(svg: string, scale = 2): Promise<Buffer> {
  const sharp = (await importReportPeer('sharp', () => import('sharp'))).default;
  return sharp(Buffer.from(svg), { density: 72 * scale }).png().toBuffer();
}
