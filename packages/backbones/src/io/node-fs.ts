/**
 * Node's fs and path, loaded only when a file path is used, so that browser bundles of this
 * package never need them (the comments keep webpack and Vite from trying to resolve them).
 */
export async function nodeFs(): Promise<{ fs: typeof import('node:fs/promises'); path: typeof import('node:path') }> {
  const [fs, path] = await Promise.all([
    import(/* webpackIgnore: true */ /* @vite-ignore */ 'node:fs/promises'),
    import(/* webpackIgnore: true */ /* @vite-ignore */ 'node:path'),
  ]);
  return { fs, path };
}
