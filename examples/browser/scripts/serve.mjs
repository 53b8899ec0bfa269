// Serves dist/ at / and the CIFAR-10 subset (.data/) at /data/, cross-origin isolated
// (COOP same-origin + COEP require-corp): what wasm threads need (SharedArrayBuffer).
import { createServer } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sirv from 'sirv';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

const isolated = (response) => {
  response.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  response.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
};

/** Starts the server on `port` (0: any free one); resolves with its URL and a close function. */
export function startServer({ port = 0, host = '127.0.0.1', dev = false } = {}) {
  const page = sirv(join(ROOT, 'dist'), { dev, setHeaders: isolated });
  const data = sirv(join(ROOT, '.data'), { dev, setHeaders: isolated });
  const server = createServer((request, response) => {
    const notFound = () => {
      isolated(response);
      response.statusCode = 404;
      response.end('not found');
    };
    if (request.url.startsWith('/data/')) {
      request.url = request.url.slice('/data'.length);
      data(request, response, notFound);
    } else {
      page(request, response, notFound);
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const { port: bound } = server.address();
      resolve({ url: `http://${host}:${bound}/`, close: () => new Promise((done) => server.close(done)) });
    });
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { url } = await startServer({ port: Number(process.env.PORT ?? 5173) });
  console.log(`selfsup browser example: ${url} (Ctrl-C stops)`);
}
