import { readlinkSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { RideCodeVerifier, loadVerifyKeys } from '@app/ride-code';
import type {
  VerifyAnswer,
  VerifyBatch,
  VerifyThreadStarted,
  VerifyWorkerData,
} from './verifier-pool';

// A thread of the gateway that checks ride-code signatures, a batch per message. It holds
// public keys only.
const port = parentPort;
if (!port) throw new Error('verify.worker runs as a worker thread');
const { jwks, options } = workerData as VerifyWorkerData;
const verifier = loadVerifyKeys(jwks).then((keys) => new RideCodeVerifier(keys, options));

/** The thread's id in the operating system (Linux), so its CPU can be told apart from the rest. */
function osThreadId(): number | null {
  try {
    return Number(readlinkSync('/proc/thread-self').split('/').pop()) || null;
  } catch {
    return null;
  }
}
port.postMessage({ started: osThreadId() } satisfies VerifyThreadStarted);

// Synchronous on purpose: this thread does nothing else, so each verify is OpenSSL's own cost
// with no hop to the libuv pool and back.
port.on('message', (batch: VerifyBatch) => {
  void verifier.then((v) => {
    const results = batch.codes.map((code, i) => v.verifyNow(code, batch.nows[i]));
    port.postMessage({ id: batch.id, results } satisfies VerifyAnswer);
  });
});
