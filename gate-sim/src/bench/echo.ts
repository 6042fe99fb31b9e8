/**
 * The benchmark's baseline: a raw NATS echo responder answering a reply-sized body. Run as its
 * own process so it shares the cores the way the gateway does.
 */
import { connect } from 'nats';

async function main(): Promise<void> {
  const [url, subject, replySize] = process.argv.slice(2);
  const nc = await connect({ servers: url, name: 'bench-echo' });
  const reply = new TextEncoder().encode(
    JSON.stringify({ v: 1, pad: 'x'.repeat(Math.max(0, Number(replySize) - 20)) }),
  );
  nc.subscribe(subject, { queue: 'bench-echo', callback: (_e, m) => m.respond(reply) });
  process.stdout.write('ready\n');
  process.once('SIGTERM', () => void nc.drain().then(() => process.exit(0)));
}

void main();
