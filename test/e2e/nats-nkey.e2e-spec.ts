import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, nkeys, type NatsConnection } from 'nats';
import type { RunningAuthority } from '../../apps/health-authority/src/app';
import { PrivateNats } from '../support/nats-server';
import {
  startAuthority,
  startTestGateway,
  tap,
  uniqueId,
  type GatewayUnderTest,
} from '../support/stack';

/** A NATS server that knows the gateway only by its NKey: the gateway signs in with the seed file. */
describe('the gateway authenticates to NATS with an NKey seed file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nats-nkey-'));
  const gatewayKey = nkeys.createUser();
  const gatePassword = uniqueId('pw');
  let server: PrivateNats;
  let authority: RunningAuthority;
  let gw: GatewayUnderTest;
  let gate: NatsConnection;

  beforeAll(async () => {
    const configFile = join(dir, 'nkey.conf');
    writeFileSync(
      configFile,
      [
        // Clients without credentials (the harness's readiness probe) may connect, and do nothing.
        'no_auth_user: "anonymous"',
        'authorization {',
        '  users = [',
        `    { nkey: ${JSON.stringify(gatewayKey.getPublicKey())} }`,
        `    { user: "gate", password: ${JSON.stringify(gatePassword)} }`,
        `    { user: "anonymous", password: ${JSON.stringify(uniqueId('pw'))}, permissions: { publish: { deny: [">"] }, subscribe: { deny: [">"] } } }`,
        '  ]',
        '}',
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    const seedFile = join(dir, 'gateway.nk');
    writeFileSync(seedFile, new TextDecoder().decode(gatewayKey.getSeed()), { mode: 0o600 });
    server = await PrivateNats.start({ configFile });
    authority = await startAuthority();
    gw = await startTestGateway(authority.url, {
      env: { NATS_URL: server.url, NATS_NKEY_SEED_FILE: seedFile },
    });
    gate = await connect({ servers: server.url, user: 'gate', pass: gatePassword });
  });

  afterAll(async () => {
    await gate?.drain();
    await gw?.close();
    await authority?.close();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('connects with the seed and answers taps on that server', async () => {
    const r = await tap(gate, {
      stationId: 'S0312',
      gateId: uniqueId('G'),
      credential: { kind: 'card', cardNo: 'C-nkey-1' },
    });
    expect(r).toMatchObject({ v: 1, outcome: expect.stringMatching(/^(open|see-staff|deny)$/) });
  });
});
