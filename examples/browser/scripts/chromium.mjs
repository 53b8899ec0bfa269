// Headless Chromium for the test and the benchmark: Debian's /usr/bin/chromium (or
// $CHROMIUM_PATH) through playwright-core, so nothing is downloaded. `webgpu` adds the flags that
// give headless Chromium a WebGPU adapter without a GPU: SwiftShader, a software fallback.
import { existsSync } from 'node:fs';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);

const BASE_ARGS = ['--headless=new', '--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const WEBGPU_ARGS = ['--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader'];

/** Launches Chromium; with `webgpu: true` it has a SwiftShader WebGPU adapter. */
export async function launchChromium({ webgpu = false } = {}) {
  if (!hasChromium) throw new Error(`${CHROMIUM} not found: apt-get install -y chromium, or set CHROMIUM_PATH`);
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM, args: webgpu ? [...BASE_ARGS, ...WEBGPU_ARGS] : BASE_ARGS });
}

/** Waits until the page's training ends (`window.selfsup.state` done or error); returns that state. */
export async function waitForTraining(page, timeout = 540_000) {
  await page.waitForFunction(() => ['done', 'error'].includes(window.selfsup.state), null, { timeout, polling: 500 });
  return page.evaluate(() => window.selfsup);
}
