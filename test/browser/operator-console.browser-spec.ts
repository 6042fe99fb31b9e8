import { randomInt } from 'node:crypto';
import request from 'supertest';
import { formatShanghai } from '@app/protocol';
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

const HOUR = 3_600_000;
const STATION = 'S0312'; // line 3
/** What a datetime-local field holds for an instant: Shanghai wall time to the minute. */
const wallTime = (ms: number) => formatShanghai(ms).slice(0, 16);

describe('the operator console in a browser', () => {
  let authority: RunningAuthority;
  let gw: GatewayUnderTest;
  let browser: Browser;
  let page: Page;
  let operator: { authorization: string };
  /** Versions this file scheduled, cancelled afterwards if a failed test left them. */
  const scheduled: string[] = [];

  beforeAll(async () => {
    authority = await startAuthority();
    gw = await startTestGateway(authority.url);
    browser = await launchChromium();
    operator = await bearer({ sub: uniqueId('op'), role: 'operator' });
    page = await openConsole(
      browser,
      `${gw.url}/console/operator.html`,
      operator.authorization.slice('Bearer '.length),
    );
    await page.locator('#timeline-rows tr').first().waitFor();
  });

  afterAll(async () => {
    for (const id of scheduled)
      await request(gw.url)
        .delete(`/rules/versions/${id}`)
        .set(operator)
        .catch(() => undefined);
    await browser?.close();
    await gw?.close();
    await authority?.close();
  });

  const schedule = () => page.locator('#schedule');

  it('shows the server message when the form is refused', async () => {
    const form = schedule();
    await form.getByLabel('Effective from (Shanghai time)').fill('2022-05-01T00:00');
    await form.getByLabel('Reason').fill('a change in the past');
    await form.getByRole('button', { name: 'Schedule a version' }).click();
    const result = page.locator('#schedule-result');
    await eventually(async () => expect(await text(result)).toContain('RULE_REFUSED'));
    expect(await text(result)).toContain('2022-05-01T00:00:00.000+08:00 is in the past');
  });

  it('schedules a window change, sees it in the timeline, and cancels it', async () => {
    // Far ahead and to the minute at random, so no other test's version is identical.
    const from = Date.now() + 400 * 24 * HOUR + randomInt(0, 500_000) * 60_000;
    const reason = `48 h window ${uniqueId('ui')}`;
    // Settings no other version has, or the server refuses it as an identical overlap.
    const clearance = randomInt(1, 1441);
    const form = schedule();
    await form.getByLabel('Effective from (Shanghai time)').fill(wallTime(from));
    await form.locator('select[name="scopeKind"]').selectOption('lines');
    await form.getByLabel('Line or station ids, comma-separated').fill('3');
    await form.getByLabel('Test window (hours)').fill('48');
    await form.getByLabel('Day-ticket clearance (minutes)').fill(String(clearance));
    await form.getByLabel('Reason').fill(reason);
    await form.getByRole('button', { name: 'Schedule a version' }).click();
    const result = page.locator('#schedule-result');
    await eventually(async () => expect(await text(result)).toMatch(/^Scheduled: \S+/));
    const id = (await text(result.locator('p').first())).replace('Scheduled: ', '');
    scheduled.push(id);

    await page.locator('#timeline').getByLabel('Station').fill(STATION);
    await page.locator('#timeline').getByRole('button', { name: 'Show' }).click();
    const row = page.locator(`#timeline-rows tr[data-version="${id}"]`);
    await row.waitFor();
    expect(await row.getAttribute('data-state')).toBe('scheduled');
    expect(await text(row)).toContain(formatShanghai(from).slice(0, 16).replace('T', ' '));
    expect(await text(row)).toContain('Test window (hours) 48');
    expect(await text(row)).toContain(reason);

    await row.getByRole('button', { name: 'Shadow counts' }).click();
    await eventually(async () =>
      expect(await text(page.locator('#shadow-result'))).toContain(`${id} · Pending: yes`),
    );
    await eventually(async () => expect(await text(page.locator(`#audit-rows`))).toContain(id));
    await keepScreenshot('operator', page);

    await row.getByRole('button', { name: 'Cancel' }).click();
    await eventually(async () =>
      expect(await text(page.locator('#timeline-result'))).toContain(`Cancelled: ${id}`),
    );
    await eventually(async () => expect(await row.count()).toBe(0));
  });

  it('previews a decision for given facts at a given instant', async () => {
    const form = page.locator('#preview');
    const now = Date.now();
    await form.getByLabel('Station').fill(STATION);
    await form.getByLabel('Instant (Shanghai time)').fill(wallTime(now));
    await form.getByLabel('Latest negative sample').fill(wallTime(now - 5 * HOUR));
    await form.getByLabel('Temperature °C').fill('36.5');
    await form.getByRole('button', { name: 'Preview a decision' }).click();
    const result = page.locator('#preview-result');
    await eventually(async () => expect(await text(result)).toContain('Outcome: open'));

    await form.getByLabel('Temperature °C').fill('38.1');
    await form.getByRole('button', { name: 'Preview a decision' }).click();
    await eventually(async () => expect(await text(result)).toContain('TEMPERATURE_HIGH'));
  });

  it('previews an unsaved draft from the schedule form, storing nothing', async () => {
    const before = await request(gw.url).get('/rules/audit?limit=1').set(operator).expect(200);
    const now = Date.now();
    const sched = schedule();
    await sched.getByLabel('Effective from (Shanghai time)').fill(wallTime(now - HOUR));
    await sched.locator('select[name="scopeKind"]').selectOption('stations');
    await sched.getByLabel('Line or station ids, comma-separated').fill(STATION);
    await sched.getByLabel('Test window (hours)').fill('4');
    await sched.getByLabel('Reason').fill('what if the window were 4 h');
    const form = page.locator('#preview');
    await form.getByLabel('Station').fill(STATION);
    await form.getByLabel('Instant (Shanghai time)').fill(wallTime(now));
    await form.getByLabel('Latest negative sample').fill(wallTime(now - 5 * HOUR));
    await form.getByLabel('Temperature °C').fill('36.5');
    await form.getByLabel('Include the schedule form as an unsaved draft').check();
    await form.getByRole('button', { name: 'Preview a decision' }).click();
    const result = page.locator('#preview-result');
    await eventually(async () => expect(await text(result)).toContain('TEST_EXPIRED'));
    expect(await text(result)).toContain('Decided by the unsaved draft');
    expect(await text(result)).toContain('Version draft');
    await form.getByLabel('Include the schedule form as an unsaved draft').uncheck();
    await form.getByRole('button', { name: 'Preview a decision' }).click();
    await eventually(async () => expect(await text(result)).toContain('Outcome: open'));
    const after = await request(gw.url).get('/rules/audit?limit=1').set(operator).expect(200);
    expect(after.body).toEqual(before.body);
  });

  it('sees a station gates named without a record, records it on a pilot line, and marks a sentinel', async () => {
    const unknown = uniqueId('SB');
    const nc = await natsClient();
    try {
      const reply = await tap(nc, {
        stationId: unknown,
        gateId: 'G01',
        credential: { kind: 'single-journey', ticketNo: 'SJ1' },
      });
      expect(reply.policyVersion).toBe('rv-20220601-network');
    } finally {
      await nc.drain();
    }
    const row = page.locator(`#unrecorded-rows tr[data-station="${unknown}"]`);
    await eventually(async () => {
      await page.locator('#network-refresh').getByRole('button', { name: 'Refresh' }).click();
      expect(await row.count()).toBe(1);
    });
    expect(await text(row)).toContain(unknown);
    await row.getByRole('button', { name: 'Record it' }).click();
    const st = page.locator('#station');
    expect(await st.getByLabel('Station id').inputValue()).toBe(unknown);
    await st.getByLabel('Chinese name').fill('新站');
    await st.getByLabel('English name').fill('New Station');
    await st.getByLabel('Line ids, comma-separated').fill('3');
    await st.getByRole('button', { name: 'Create station' }).click();
    await eventually(async () =>
      expect(await text(page.locator('#station-result'))).toContain('Station saved'),
    );
    await eventually(async () =>
      expect(await page.locator(`#station-rows tr[data-station="${unknown}"]`).count()).toBe(1),
    );
    expect(await row.count()).toBe(0);
    const timeline = await request(gw.url)
      .get(`/rules/stations/${unknown}/timeline`)
      .set(operator)
      .expect(200);
    expect(timeline.body).toMatchObject({ recorded: true, lines: ['3'] });

    const dv = page.locator('#device');
    const deviceId = uniqueId('D');
    await dv.getByLabel('Station').fill(unknown);
    await dv.getByLabel('Device id').fill(deviceId);
    await dv.getByLabel("Digital sentinel (reads ID cards, relatives' and health codes)").check();
    await dv.getByRole('button', { name: 'Save device' }).click();
    const device = page.locator(`#device-rows tr[data-device="${unknown}/${deviceId}"]`);
    await eventually(async () => expect(await text(device)).toContain('yes'));
    await keepScreenshot('operator-network', page, 'section[aria-labelledby="network-h"]');
  });
});
