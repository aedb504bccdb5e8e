import net from 'node:net';

/**
 * A TCP forwarder on loopback between one server process and PostgreSQL, to cut that server off the
 * database (a network partition) while the others keep their direct connections.
 *
 * `cut()` resets every forwarded connection (the server's pooled clients see the connection die) and
 * from then on accepts new connections but forwards nothing and answers nothing, as a host behind a
 * partition that drops packets does: a connect attempt then waits for the client's own timeout, not
 * for an immediate refusal. `restore()` forwards new connections again.
 */
export interface TcpProxy {
  /** The proxy's port on 127.0.0.1. */
  port: number;
  /** `url` with its host and port replaced by the proxy's. */
  through(url: string): string;
  /**
   * `reset` (default): forwarded connections are reset, as when the database restarts or a firewall
   * rejects. `blackhole`: they stay open and carry nothing more either way, as when a partition drops
   * packets; the client sees nothing until its own timeout.
   */
  cut(established?: 'reset' | 'blackhole'): void;
  restore(): void;
  /** Connections accepted while cut (a client trying to reconnect). */
  readonly refused: number;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  let cut = false;
  let refused = 0;
  const pairs = new Set<[net.Socket, net.Socket | null]>();
  /** Database sides of connections blackholed while established: closed on restore. */
  const silenced = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const pair: [net.Socket, net.Socket | null] = [client, null];
    pairs.add(pair);
    client.on('close', () => pairs.delete(pair));
    client.on('error', () => undefined);
    if (cut) {
      refused += 1;
      return; // blackholed: read and dropped, never answered
    }
    const upstream = net.connect(target.port, target.host);
    pair[1] = upstream;
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.on('close', () => upstream.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    through(url: string) {
      const u = new URL(url);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    cut(established = 'reset') {
      cut = true;
      for (const pair of pairs) {
        const [client, upstream] = pair;
        if (established === 'reset') {
          client.resetAndDestroy();
          upstream?.destroy();
        } else if (upstream) {
          client.unpipe(upstream);
          upstream.unpipe(client);
          client.pause();
          upstream.pause();
          pair[1] = null;
          silenced.add(upstream);
        }
      }
    },
    restore() {
      cut = false;
      // Blackholed connections are dropped, as a partition healing does not revive a timed-out connect
      // (nor, here, a connection whose client gave up on it).
      for (const [client, upstream] of pairs) if (upstream === null) client.resetAndDestroy();
      for (const upstream of silenced) upstream.destroy();
      silenced.clear();
    },
    get refused() {
      return refused;
    },
    async close() {
      for (const [client, upstream] of pairs) {
        client.destroy();
        upstream?.destroy();
      }
      for (const upstream of silenced) upstream.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
