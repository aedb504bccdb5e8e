import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { join, normalize } from 'node:path';

/*
 * A classic Helm repository as its own process, for a private network's protected registry: it runs
 * inside a network namespace (`ip netns exec … node --import tsx basic-auth-file-server.ts`), where the
 * test process cannot listen. It serves the files of a folder, read afresh on every request (the test
 * swaps an archive while it runs), to HTTP Basic credentials only.
 *
 *   node --import tsx basic-auth-file-server.ts <host> <port> <folder> <user> <password>
 *
 * Its stdout is JSON lines: `{"listening":"http://host:port"}` once, then one line per request,
 * `{"remote":"10.213.9.130","method":"GET","path":"/repo/index.yaml","status":200,"userAgent":"…"}`,
 * which the test reads to learn who asked for what.
 */

const [host, port, root, user, password] = process.argv.slice(2);
if (!host || !port || !root || !user || !password) {
  process.stderr.write('usage: basic-auth-file-server.ts <host> <port> <folder> <user> <password>\n');
  process.exit(2);
}
const expected = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

const server = createServer((req, res) => {
  void (async () => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    let status = 404;
    let body: Buffer | string = 'not found\n';
    if (req.headers.authorization !== expected) {
      status = 401;
      body = 'unauthorized\n';
      res.setHeader('www-authenticate', 'Basic realm="private charts"');
    } else if (req.method === 'GET' || req.method === 'HEAD') {
      const file = normalize(path);
      if (!file.includes('..')) {
        try {
          body = await readFile(join(root, file));
          status = 200;
        } catch {
          // 404
        }
      }
    }
    process.stdout.write(
      `${JSON.stringify({
        remote: req.socket.remoteAddress,
        method: req.method,
        path,
        status,
        userAgent: req.headers['user-agent'] ?? null,
      })}\n`,
    );
    res.writeHead(status, {
      'content-type': path.endsWith('.yaml') ? 'text/yaml' : 'application/octet-stream',
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  })();
});
server.listen(Number(port), host, () => {
  process.stdout.write(`${JSON.stringify({ listening: `http://${host}:${port}` })}\n`);
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));
