/** The verify echo's thread: ride-code signatures checked synchronously, as the gateway does. */
import { parentPort, workerData } from 'node:worker_threads';
import { RideCodeVerifier, loadVerifyKeys } from '../../../libs/ride-code/src';
import type { VerifyEchoThreadData } from './verify-echo';

const port = parentPort;
if (!port) throw new Error('verify-echo-thread runs as a worker thread');
const { jwks, issuer, ttlSeconds } = workerData as VerifyEchoThreadData;
const verifier = loadVerifyKeys(jwks).then(
  (keys) => new RideCodeVerifier(keys, { issuer, ttlSeconds, leewaySeconds: 2 }),
);
port.on('message', (m: { id: number; codes: string[]; now: number }) => {
  void verifier.then((v) => {
    const statuses = m.codes.map((code) => v.verifyNow(code, m.now).status);
    port.postMessage({ id: m.id, statuses });
  });
});
