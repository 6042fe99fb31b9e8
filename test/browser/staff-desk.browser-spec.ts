import type { NatsConnection } from 'nats';
import type { GateCommand } from '@app/protocol';
import { respondToCommands, type CommandResponder } from '../../gate-sim/src/gate';
import { healthy, person, rideCode, rider } from '../support/factories';
import {
  bearer,
  natsClient,
  startAuthority,
  startTestGateway,
  tap,
  uniqueId,
  type GatewayUnderTest,
} from '../support/stack';
import type { RunningAuthority } from '../../apps/health-authority/src/app';
import {
  eventually,
  keepScreenshot,
  launchChromium,
  openConsole,
  text,
  type Browser,
  type Page,
} from './support/browser';

jest.setTimeout(60_000);

const STATION = 'S0312';

describe('the staff desk in a browser', () => {
  let authority: RunningAuthority;
  let gw: GatewayUnderTest;
  let nc: NatsConnection;
  let browser: Browser;
  let page: Page;
  let gate: CommandResponder;
  const gateId = uniqueId('G');
  const commands: GateCommand[] = [];

  beforeAll(async () => {
    authority = await startAuthority();
    gw = await startTestGateway(authority.url);
    nc = await natsClient();
    gate = respondToCommands(nc, STATION, gateId, (cmd) => commands.push(cmd));
    browser = await launchChromium();
    const { authorization } = await bearer({
      sub: uniqueId('staff'),
      role: 'staff',
      station: STATION,
    });
    page = await openConsole(
      browser,
      `${gw.url}/console/staff.html`,
      authorization.slice('Bearer '.length),
    );
  });

  afterAll(async () => {
    await browser?.close(); // first: an open feed would hold the gateway's HTTP server
    gate?.stop();
    await nc?.drain();
    await gw?.close();
    await authority?.close();
  });

  it('clears a day-ticket rider sent to staff, and the gate opens in the simulator', async () => {
    await eventually(async () =>
      expect(await text(page.locator('#feed-state'))).toBe('Connected, pushed live'),
    );
    const ticketNo = uniqueId('DT');
    const tapId = uniqueId('tap');
    const reply = await tap(nc, {
      stationId: STATION,
      gateId,
      tapId,
      credential: { kind: 'day-ticket', ticketNo },
    });
    expect(reply).toMatchObject({ outcome: 'see-staff', reasons: ['VENUE_CHECK_REQUIRED'] });

    // Pushed to the desk, with the gate's reason, without a reload.
    const row = page.locator(`#feed li[data-tap="${tapId}"]`);
    await row.waitFor({ timeout: 5_000 });
    expect(await text(row)).toContain(gateId);
    expect(await text(row)).toContain('VENUE_CHECK_REQUIRED');
    await row.getByRole('button', { name: 'Handle' }).click();
    expect(await page.getByLabel('Gate', { exact: true }).inputValue()).toBe(gateId);
    await page.getByLabel('Card or ticket number').fill(ticketNo);

    // The temperature re-measure is the evidence; then the registration (the check-in).
    const verify = page.locator('#verify');
    await verify.locator('select[name="evidence"]').selectOption('temperature');
    await verify.getByLabel('Temperature °C').fill('36.4');
    await verify.getByRole('button', { name: 'Verify evidence' }).click();
    await eventually(async () =>
      expect(await text(page.locator('#verify-result'))).toContain('Verified'),
    );
    // The registration names the verification that just passed.
    const verificationId = await page
      .locator('#register')
      .getByLabel('Verification (one that passed)')
      .inputValue();
    expect(verificationId).toMatch(/^[0-9a-f-]{36}$/);
    expect(await text(page.locator('#verify-result'))).toContain(verificationId);
    await page.locator('#register').getByRole('button', { name: 'Manual registration' }).click();
    await eventually(async () =>
      expect(await text(page.locator('#register-result'))).toMatch(/Registered, check-in \S+/),
    );
    expect(await text(page.locator('#register-result'))).toContain(verificationId);

    await page.locator('#open').getByRole('button', { name: 'Open', exact: true }).click();
    await eventually(async () =>
      expect(await text(page.locator('#open-result'))).toContain(
        'The gate acknowledged and opened',
      ),
    );
    expect(commands).toEqual([
      expect.objectContaining({ v: 1, cmd: 'open-once', reason: 'staff-verified' }),
    ]);
    expect(gate.acknowledged).toBe(1);
    await keepScreenshot('staff', page);

    // 中文 at the switch: the console's words and the gate's own display text.
    await page.locator('#lang').click();
    expect(await text(page.locator('h1'))).toBe('车站服务台');
    expect(await text(row)).toContain(reply.display.zh);
    await keepScreenshot('staff-zh', page);
    await page.locator('#lang').click();
    expect(await text(page.locator('h1'))).toBe('Station staff desk');
  });

  it("issues a pass for a rider's next entry from the ride code scanned at the desk", async () => {
    const r = await rider(gw.url, authority.url, { ...healthy(Date.now()), authorized: false });
    const code = await rideCode(gw.url, r.riderId);
    const pass = page.locator('#pass');
    // A failed check offers nothing to the pass form.
    const verify = page.locator('#verify');
    await verify.locator('select[name="evidence"]').selectOption('temperature');
    await verify.getByLabel('Temperature °C').fill('38.2');
    await verify.getByRole('button', { name: 'Verify evidence' }).click();
    await eventually(async () =>
      expect(await text(page.locator('#verify-result'))).toContain('Not verified'),
    );
    expect(await pass.getByLabel('Verification (one that passed)').inputValue()).toBe('');
    await pass.getByLabel("The rider's next entry with their ride code").check();
    await pass.getByLabel('Ride code scanned at the desk').fill(code);
    await pass.getByRole('button', { name: 'One-time pass' }).click();
    await eventually(async () =>
      expect(await text(page.locator('#pass-result'))).toContain('Verify evidence first'),
    );

    await verify.getByLabel('Temperature °C').fill('36.5');
    await verify.getByRole('button', { name: 'Verify evidence' }).click();
    await eventually(async () =>
      expect(await text(page.locator('#verify-result'))).toContain('Verified'),
    );
    await pass.getByRole('button', { name: 'One-time pass' }).click();
    await eventually(async () =>
      expect(await text(page.locator('#pass-result'))).toContain(`Pass issued: rider:${r.riderId}`),
    );
  });

  it('shows the server message for an ID lookup without the rider present', async () => {
    const lookup = page.locator('#lookup');
    await lookup.getByLabel('ID number').fill('310101199001011234');
    await lookup.getByRole('button', { name: 'Look up' }).click();
    await eventually(async () =>
      expect(await text(page.locator('#lookup-result'))).toContain('riderPresent must be true'),
    );
    expect(await text(page.locator('#lookup-result'))).toContain('400 VALIDATION_FAILED');
  });

  it('shows an ID lookup for 10 seconds, then clears it', async () => {
    const idNumber = await person(authority.url, healthy(Date.now()));
    const lookup = page.locator('#lookup');
    await lookup.getByLabel('ID number').fill(idNumber);
    await lookup.getByLabel('The rider is present and consents').check();
    await lookup.getByRole('button', { name: 'Look up' }).click();
    const result = page.locator('#lookup-result');
    await eventually(async () => expect(await text(result)).toContain('Health code: Green'));
    expect(await lookup.getByLabel('ID number').inputValue()).toBe('');
    const shownAt = Date.now();
    await eventually(async () => expect(await text(result)).toBe(''), 13_000);
    expect(Date.now() - shownAt).toBeGreaterThan(8_000);
  });
});
