import type { NatsConnection } from 'nats';
import { RideCodeService } from '../../apps/gateway/src/ride-code/ride-code.service';
import { TEST_PASSCODE, asRider, healthy, rider } from '../support/factories';
import {
  natsClient,
  startAuthority,
  startTestGateway,
  tap,
  uniqueId,
  type GatewayUnderTest,
} from '../support/stack';
import type { RunningAuthority } from '../../apps/health-authority/src/app';
import {
  decodeQr,
  eventually,
  keepScreenshot,
  launchChromium,
  openConsole,
  text,
  type Browser,
  type Page,
} from './support/browser';

jest.setTimeout(60_000);

describe("the rider's one screen in a browser", () => {
  let authority: RunningAuthority;
  let gw: GatewayUnderTest;
  let nc: NatsConnection;
  let browser: Browser;
  let page: Page;
  let riderId: string;
  let idNumber: string;

  beforeAll(async () => {
    authority = await startAuthority();
    // Short-lived codes, so that the screen's refresh before expiry is seen within the test.
    gw = await startTestGateway(authority.url, { env: { RIDE_CODE_TTL_SECONDS: '16' } });
    nc = await natsClient();
    browser = await launchChromium();
    ({ riderId, idNumber } = await rider(gw.url, authority.url, healthy(Date.now(), 5)));
    const { authorization } = await asRider(riderId);
    page = await openConsole(
      browser,
      `${gw.url}/console/rider.html`,
      authorization.slice('Bearer '.length),
    );
  });

  afterAll(async () => {
    await browser?.close();
    await nc?.drain();
    await gw?.close();
    await authority?.close();
  });

  it('shows the status: colour, sampling time and hours left', async () => {
    await eventually(async () => expect(await text(page.locator('#status-colour'))).toBe('Green'));
    expect(await text(page.locator('#status-sampled'))).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}/);
    expect(Number(await text(page.locator('#status-left')))).toBeGreaterThan(0);
  });

  it('renders a QR image that a scanner reads as a valid ride code, which opens a gate', async () => {
    const qr = page.locator('#qr');
    await qr.waitFor();
    expect(await qr.getAttribute('alt')).toBe('Ride QR code');
    const png = await page.locator('.qr').screenshot();
    const code = await decodeQr(png);
    expect(code).not.toBeNull();

    const verified = await gw.app.get(RideCodeService).verify(code as string, Date.now());
    expect(verified).toMatchObject({ status: 'valid', claims: { sub: riderId } });
    const reply = await tap(nc, {
      stationId: 'S0312',
      gateId: uniqueId('G'),
      credential: { kind: 'ride-code', code: code as string },
    });
    expect(reply.outcome).toBe('open');
    await keepScreenshot('rider', page);
  });

  it('fetches a new code before the shown one expires', async () => {
    const qr = page.locator('#qr');
    const first = await qr.getAttribute('data-code');
    const expiry = await text(page.locator('#code-expiry'));
    await eventually(
      async () => expect(await qr.getAttribute('data-code')).not.toBe(first),
      12_000,
    );
    expect(await text(page.locator('#code-expiry'))).not.toBe(expiry);
    const next = await decodeQr(await page.locator('.qr').screenshot());
    expect(await gw.app.get(RideCodeService).verify(next as string, Date.now())).toMatchObject({
      status: 'valid',
    });
  });

  it('revokes and re-authorizes the health linkage', async () => {
    await page.getByRole('button', { name: 'Revoke' }).click();
    await eventually(async () =>
      expect(await text(page.locator('#linkage-result'))).toContain('Revoked'),
    );
    await eventually(async () =>
      expect(await text(page.locator('#status-colour'))).toContain(
        'No data yet: authorize to link',
      ),
    );
    // The screen takes no ID number: the person signs in on the authority's own page.
    expect(await page.locator('#linkage input').count()).toBe(0);
    await page.getByRole('button', { name: 'Authorize via 随申码' }).click();
    await page.waitForURL((u) => u.pathname === '/oauth/authorize');
    await page.getByLabel('ID number').fill(idNumber);
    await page.getByLabel('Passcode').fill('not-their-passcode');
    await page.getByRole('button', { name: /Agree and sign in/ }).click();
    await eventually(async () => expect(await text(page.locator('#error'))).toContain('Wrong'));
    await page.getByLabel('ID number').fill(idNumber);
    await page.getByLabel('Passcode').fill(TEST_PASSCODE);
    await page.getByRole('button', { name: /Agree and sign in/ }).click();
    await page.waitForURL((u) => u.pathname === '/console/rider.html');
    await eventually(async () =>
      expect(await text(page.locator('#linkage-result'))).toContain('Authorized'),
    );
    expect(page.url()).not.toContain('code=');
    await eventually(async () => expect(await text(page.locator('#status-colour'))).toBe('Green'));
  });

  it("lists the rider's own check-ins, then erases the registration", async () => {
    // The QR test above opened a gate: that check-in is on the list after a refresh.
    await page.locator('#check-ins-form').getByRole('button', { name: 'Refresh' }).click();
    await eventually(async () =>
      expect(await text(page.locator('#check-ins'))).toMatch(/S0312 .* ride-code/),
    );
    page.on('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Erase registration' }).click();
    await eventually(async () =>
      expect(await text(page.locator('#erase-result'))).toContain('Erased'),
    );
    await eventually(async () =>
      expect(await text(page.locator('#status-colour'))).toContain('Not registered yet'),
    );
  });
});
