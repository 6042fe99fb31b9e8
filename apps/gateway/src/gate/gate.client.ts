import { ClientProxy, type ReadPacket, type WritePacket } from '@nestjs/microservices';
import type { NatsConnection } from 'nats';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * The client side of the gate transport: gate commands go out as plain JSON requests on the
 * command subject (`metro.gate.<station>.<gate>.cmd`), not in Nest's envelope, and the gate's
 * plain-JSON acknowledgement is the response. `send(subject, command)` is an Observable of it.
 */
export class GateClient extends ClientProxy {
  constructor(
    private readonly nc: NatsConnection,
    private readonly timeoutMs: number,
  ) {
    super();
  }

  /** The connection is the gateway's own, opened and closed by the bootstrap. */
  connect(): Promise<NatsConnection> {
    return Promise.resolve(this.nc);
  }

  close(): void {}

  unwrap<T>(): T {
    return this.nc as T;
  }

  protected publish(packet: ReadPacket, callback: (packet: WritePacket) => void): () => void {
    this.nc
      .request(String(packet.pattern), encoder.encode(JSON.stringify(packet.data)), {
        timeout: this.timeoutMs,
      })
      .then(
        (msg) => {
          let response: unknown;
          try {
            response = JSON.parse(decoder.decode(msg.data));
          } catch {
            callback({ err: new Error('the acknowledgement is not JSON') });
            return;
          }
          callback({ response, isDisposed: true });
        },
        (err: unknown) => callback({ err }),
      );
    return () => undefined;
  }

  protected dispatchEvent<T = unknown>(packet: ReadPacket): Promise<T> {
    this.nc.publish(String(packet.pattern), encoder.encode(JSON.stringify(packet.data)));
    return Promise.resolve(undefined as T);
  }
}
