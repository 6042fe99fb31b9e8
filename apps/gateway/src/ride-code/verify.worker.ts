import { parentPort, workerData } from 'node:worker_threads';
import { RideCodeVerifier, loadVerifyKeys } from '@app/ride-code';
import type { VerifyAnswer, VerifyBatch, VerifyWorkerData } from './verifier-pool';

// A thread of the gateway that checks ride-code signatures, a batch per message. It holds
// public keys only.
const port = parentPort;
if (!port) throw new Error('verify.worker runs as a worker thread');
const { jwks, options } = workerData as VerifyWorkerData;
const verifier = loadVerifyKeys(jwks).then((keys) => new RideCodeVerifier(keys, options));

// Synchronous on purpose: this thread does nothing else, so each verify is OpenSSL's own cost
// with no hop to the libuv pool and back.
port.on('message', (batch: VerifyBatch) => {
  void verifier.then((v) => {
    const results = batch.codes.map((code, i) => v.verifyNow(code, batch.nows[i]));
    port.postMessage({ id: batch.id, results } satisfies VerifyAnswer);
  });
});
