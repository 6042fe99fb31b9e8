import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An HTTP pass-through in front of the health authority that notes when each consent-status
 * request arrives, so a test can count what reaches the service, even while it is down
 * (then the gateway's connection is dropped, as if nothing listened).
 */
export class CountingProxy {
  private constructor(
    private readonly server: Server,
    readonly url: string,
    /** When each consent-status request arrived (performance.now()). */
    readonly statusRequests: number[],
    private readonly state: { down: boolean },
  ) {}

  /**
   * While down, every request's connection is dropped unanswered, as if nothing listened; the
   * service counts as back only once it is up and has its records again.
   */
  set down(down: boolean) {
    this.state.down = down;
  }

  static async start(upstreamPort: number): Promise<CountingProxy> {
    const arrivals: number[] = [];
    const proxy: { down: boolean } = { down: false };
    const server = createServer((req, res) => {
      if (req.url?.includes('/status')) arrivals.push(performance.now());
      if (proxy.down) {
        res.destroy();
        return;
      }
      const up = request(
        {
          host: '127.0.0.1',
          port: upstreamPort,
          path: req.url,
          method: req.method,
          headers: req.headers,
        },
        (upRes) => {
          res.writeHead(upRes.statusCode ?? 502, upRes.headers);
          upRes.pipe(res);
        },
      );
      up.on('error', () => res.destroy());
      res.on('close', () => up.destroy());
      req.pipe(up);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return new CountingProxy(server, `http://127.0.0.1:${port}`, arrivals, proxy);
  }

  /** Status requests that arrived in [from, to) (performance.now() instants). */
  countBetween(from: number, to: number): number {
    return this.statusRequests.filter((t) => t >= from && t < to).length;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
