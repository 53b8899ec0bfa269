import { EvalError } from '../errors';

/**
 * The libraries behind `@selfsup/eval/report`: optional peer dependencies of @selfsup/eval
 * (the main entry never loads them), at the versions the report is tested with. Keep in step
 * with package.json's peerDependencies (test/install-weight.test.ts checks).
 */
export const REPORT_PEERS = {
  vega: '5.33.1',
  'vega-lite': '5.23.0',
  sharp: '0.35.5',
  'umap-js': '1.4.0',
} as const;

export type ReportPeer = keyof typeof REPORT_PEERS;

const USED_FOR: Record<ReportPeer, string> = {
  vega: 'renderSvg and writeReport (charts)',
  'vega-lite': 'renderSvg and writeReport (charts)',
  sharp: 'svgToPng and writeReport (PNG figures)',
  'umap-js': 'embed2d (UMAP)',
};

/** The one command that installs every report library. */
export const REPORT_INSTALL = `npm install ${Object.entries(REPORT_PEERS).map(([name, version]) => `${name}@${version}`).join(' ')}`;

/** True when `error` says that the package `name` itself (not one of its own imports) cannot be found. */
export function isMissingPackage(error: unknown, name: string): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') return false;
  // Node: "Cannot find package 'vega' imported from …" (ESM), "Cannot find module 'vega'" (CJS).
  return new RegExp(`Cannot find (package|module) ['"]${name.replace(/[-/\\^$*+?.()|[\]{}]/g, '\\$&')}['"]`).test(error.message);
}

/**
 * Loads one of the report's optional peers with `load` (a literal `import('…')`, so bundlers and
 * the type checker see it). When the package is not installed, throws an `EvalError`
 * (`EVAL_REPORT_DEPENDENCY_MISSING`) that says what to install; any other failure (a broken
 * install, sharp's missing native binary) is passed through as it is.
 */
export async function importReportPeer<T>(name: ReportPeer, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    if (!isMissingPackage(error, name)) throw error;
    throw new EvalError({
      code: 'EVAL_REPORT_DEPENDENCY_MISSING',
      problem: `@selfsup/eval/report needs ${name} for ${USED_FOR[name]}, and it is not installed`,
      fix: `install the report's libraries (optional peer dependencies of @selfsup/eval): ${REPORT_INSTALL} — or depend on @selfsup/train, which brings them`,
      cause: error,
    });
  }
}
