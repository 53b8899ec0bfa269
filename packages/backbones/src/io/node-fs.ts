/**
 * Node's fs and path, loaded only when a file path is used, so that browser bundles of this
 * package never need them: the specifiers are not literals, so no bundler (esbuild, Rollup,
 * webpack, Vite) tries to resolve them.
 */
export async function nodeFs(): Promise<{ fs: typeof import('node:fs/promises'); path: typeof import('node:path') }> {
  const load = (specifier: string) => import(/* webpackIgnore: true */ /* @vite-ignore */ specifier);
  const [fs, path] = await Promise.all([load('node:fs/promises'), load('node:path')]);
  return { fs, path };
}
