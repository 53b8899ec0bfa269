import { describe, expect, it } from 'vitest';
import { EvalError } from '../errors';
import { importReportPeer, isMissingPackage, REPORT_INSTALL } from './peers';

const notFound = (message: string, code = 'ERR_MODULE_NOT_FOUND') => Object.assign(new Error(message), { code });

describe('importReportPeer', () => {
  it('turns "package not installed" into one EvalError that names the install command', async () => {
    const error = await importReportPeer('vega', () => Promise.reject(notFound("Cannot find package 'vega' imported from /app/node_modules/@selfsup/eval/dist/report.js"))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EvalError);
    expect(error).toMatchObject({ code: 'EVAL_REPORT_DEPENDENCY_MISSING' });
    expect((error as Error).message).toBe(
      "@selfsup/eval/report needs vega for renderSvg and writeReport (charts), and it is not installed: install the report's libraries (optional peer dependencies of @selfsup/eval): " +
        'npm install vega@5.33.1 vega-lite@5.23.0 sharp@0.35.5 umap-js@1.4.0 — or depend on @selfsup/train, which brings them',
    );
    const cjs = await importReportPeer('umap-js', () => Promise.reject(notFound("Cannot find module 'umap-js'\nRequire stack:\n- /app/x.cjs", 'MODULE_NOT_FOUND'))).catch((e: unknown) => e);
    expect((cjs as Error).message).toContain(`needs umap-js for embed2d (UMAP), and it is not installed: install the report's libraries (optional peer dependencies of @selfsup/eval): ${REPORT_INSTALL}`);
  });

  it('passes other failures through: a broken install of the package, or sharp failing to load', async () => {
    const nested = notFound("Cannot find package 'vega-dataflow' imported from /app/node_modules/vega/build/vega.node.js");
    await expect(importReportPeer('vega', () => Promise.reject(nested))).rejects.toBe(nested);
    const native = new Error('Could not load the "sharp" module using the linux-x64 runtime');
    await expect(importReportPeer('sharp', () => Promise.reject(native))).rejects.toBe(native);
    await expect(importReportPeer('sharp', () => Promise.resolve(42))).resolves.toBe(42);
    expect(isMissingPackage(notFound("Cannot find package 'vega-lite' imported from /x.js"), 'vega')).toBe(false);
    expect(isMissingPackage(notFound("Cannot find package 'vega' imported from /x.js"), 'vega')).toBe(true);
  });

  it('recognises the error Node really throws for a package that is not installed', async () => {
    const name = 'selfsup-no-such-package';
    const error = await import(/* @vite-ignore */ name).catch((e: unknown) => e);
    expect(isMissingPackage(error, name)).toBe(true);
  });
});
