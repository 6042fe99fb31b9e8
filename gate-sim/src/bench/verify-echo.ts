/**
 * The benchmark's ceiling for a gateway that checks signatures: a raw NATS responder that parses
 * each tap, checks its ride code's signature the cheapest way (node:crypto on a verifying
 * thread, keys imported once) and answers a reply-sized body. No health lookup, no commit.
 *
 * argv: natsUrl subject replySize keySetFile issuer ttlSeconds
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { connect, type Msg } from 'nats';
import type { KeySetFile } from '../../../libs/ride-code/src';

export interface VerifyEchoThreadData {
  jwks: KeySetFile['keys'];
  issuer: string;
  ttlSeconds: number;
}

async function main(): Promise<void> {
  const [url, subject, replySize, keyFile, issuer, ttl] = process.argv.slice(2);
  const keys = JSON.parse(readFileSync(keyFile, 'utf8')) as KeySetFile;
  const thread = new Worker(join(__dirname, `verify-echo-thread${__filename.slice(-3)}`), {
    workerData: {
      jwks: keys.keys,
      issuer,
      ttlSeconds: Number(ttl),
    } satisfies VerifyEchoThreadData,
    execArgv: __filename.endsWith('.ts') ? ['-r', 'ts-node/register/transpile-only'] : [],
  });
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  const reply = (status: string) =>
    encoder.encode(
      JSON.stringify({ v: 1, status, pad: 'x'.repeat(Math.max(0, Number(replySize) - 40)) }),
    );
  const replies = new Map(['valid', 'expired', 'invalid'].map((s) => [s, reply(s)]));

  // Codes that arrive in one turn of the event loop go to the thread as one message.
  const out = new Map<number, Msg[]>();
  let batch: Msg[] = [];
  let codes: string[] = [];
  let nextId = 0;
  const flush = () => {
    const id = nextId++;
    out.set(id, batch);
    thread.postMessage({ id, codes, now: Date.now() });
    batch = [];
    codes = [];
  };
  thread.on('message', (a: { id: number; statuses: string[] }) => {
    const msgs = out.get(a.id) ?? [];
    out.delete(a.id);
    msgs.forEach((m, i) => m.respond(replies.get(a.statuses[i]) ?? reply('invalid')));
  });

  const nc = await connect({ servers: url, name: 'bench-verify-echo' });
  nc.subscribe(subject, {
    queue: 'bench-verify-echo',
    callback: (_e, m) => {
      let code = '';
      try {
        const tap = JSON.parse(decoder.decode(m.data)) as { credential?: { code?: unknown } };
        if (typeof tap.credential?.code === 'string') code = tap.credential.code;
      } catch {
        // answered as invalid
      }
      if (batch.length === 0) queueMicrotask(flush);
      batch.push(m);
      codes.push(code);
    },
  });
  process.stdout.write('ready\n');
  process.once('SIGTERM', () => void nc.drain().then(() => process.exit(0)));
}

void main();
