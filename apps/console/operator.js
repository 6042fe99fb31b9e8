// @ts-check
// The operator's console: rule timeline, schedule, cancel, preview (of drafts too), shadow
// counts, audit; stations, lines and checkpoint devices (digital sentinels).
/* global document */
import {
  api,
  checked,
  clockTime,
  el,
  field,
  languageToggle,
  optionalNumber,
  pick,
  shanghaiInstant,
  show,
  showError,
  signIn,
  t,
  value,
} from './lib.js';

/** @param {string} id */
const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));
/** @param {string} id */
const form = (id) => /** @type {HTMLFormElement} */ (document.getElementById(id));

let token = '';
/** @type {any} */
let timeline = null;
/** @type {any[]} */
let auditRows = [];
/** @type {any} */
let shadowReport = null;
/** @type {any[]} */
let stations = [];
/** @type {any[]} */
let unrecorded = [];
/** @type {any[]} */
let lines = [];
/** @type {any[]} */
let devices = [];

/** @param {string} raw */
const idList = (raw) => raw.split(/[,，\s]+/).filter(Boolean);

/** One line that says what a version decides; tolerant of older audit records. @param {any} v */
function summary(v) {
  if (!v || typeof v !== 'object' || v.testWindowHours === undefined) return '';
  const parts = [
    `${t('testWindowHours')} ${v.testWindowHours}`,
    (v.allowedColours ?? []).map((/** @type {string} */ c) => t(`colour.${c}`)).join('/'),
    `≥ ${v.temperatureThresholdC} °C`,
    `${t('temperatureRequired')}: ${v.temperatureRequired ? t('yes') : t('no')}`,
    `${t('oneCodeEnabled')}: ${v.oneCodeEnabled ? t('yes') : t('no')}`,
    `${t('dayTicketClearanceMinutes')} ${v.dayTicketClearanceMinutes}`,
    `${t('fallback')}: ${t(`fallback.${v.healthServiceFallback?.mode}`)}`,
  ];
  const kind = v.scope?.kind ?? 'network';
  const ids = kind === 'network' ? '' : ` [${(v.scope.lines ?? v.scope.stations ?? []).join(',')}]`;
  return `${t(`scope.${kind}`)}${ids} · ${parts.join(' · ')}`;
}

/** @param {string} label @param {() => void} onClick */
function button(label, onClick) {
  const b = el('button', { type: 'button', class: 'secondary' }, label);
  b.addEventListener('click', onClick);
  return b;
}

function renderTimeline() {
  const rows = $('timeline-rows');
  if (!timeline) return rows.replaceChildren();
  $('timeline-caption').textContent =
    `${timeline.stationId} · ${t('lines')}: ${timeline.lines.join(', ') || '—'} · ${clockTime(timeline.now)}`;
  rows.replaceChildren(
    ...timeline.entries.map((/** @type {any} */ e) => {
      const actions = el('td', {});
      if (e.state === 'scheduled') {
        actions.append(
          button(t('cancel'), () => void cancel(e.version.id)),
          ' ',
          button(t('shadow'), () => {
            field(form('shadow'), 'versionId').value = e.version.id;
            void loadShadow();
          }),
        );
      }
      return el(
        'tr',
        { 'data-version': e.version.id, 'data-state': e.state },
        el('td', {}, clockTime(e.from)),
        el('td', {}, e.until ? clockTime(e.until) : '—'),
        el('td', {}, t(`state.${e.state}`)),
        el('td', {}, e.version.id),
        el('td', {}, summary(e.version)),
        el('td', {}, e.version.reason),
        actions,
      );
    }),
  );
}

async function loadTimeline() {
  const station = value(form('timeline'), 'stationId');
  try {
    timeline = await api(token, 'GET', `/rules/stations/${encodeURIComponent(station)}/timeline`);
    show($('timeline-result'), 'info', []);
  } catch (e) {
    timeline = null;
    showError($('timeline-result'), e);
  }
  renderTimeline();
}

/** @param {string} id */
async function cancel(id) {
  const region = $('timeline-result');
  try {
    const v = await api(token, 'DELETE', `/rules/versions/${encodeURIComponent(id)}`);
    await Promise.all([loadTimeline(), loadAudit()]);
    show(region, 'ok', [`${t('cancelled')}: ${v.id}`]);
  } catch (e) {
    showError(region, e);
  }
}

/** The schedule form as the API's body; the server does all the validation. @param {HTMLFormElement} f */
function scheduleBody(f) {
  const kind = value(f, 'scopeKind');
  const ids = value(f, 'scopeIds')
    .split(/[,，\s]+/)
    .filter(Boolean);
  /** @type {Record<string, unknown>} */
  const scope = { kind };
  if (kind !== 'network') scope[kind] = ids;
  const colours = [...f.querySelectorAll('input[name="colour"]:checked')].map(
    (c) => /** @type {HTMLInputElement} */ (c).value,
  );
  /** @type {Record<string, unknown>} */
  const fallback = { mode: value(f, 'fallbackMode'), timeoutMs: optionalNumber(f, 'timeoutMs') };
  const maxAge = optionalNumber(f, 'maxAgeMinutes');
  if (maxAge !== undefined) fallback.maxAgeMinutes = maxAge;
  return {
    effectiveFrom: shanghaiInstant(value(f, 'effectiveFrom')),
    scope,
    testWindowHours: optionalNumber(f, 'testWindowHours'),
    allowedColours: colours,
    temperatureThresholdC: optionalNumber(f, 'temperatureThresholdC'),
    temperatureRequired: checked(f, 'temperatureRequired'),
    oneCodeEnabled: checked(f, 'oneCodeEnabled'),
    dayTicketClearanceMinutes: optionalNumber(f, 'dayTicketClearanceMinutes'),
    healthServiceFallback: fallback,
    reason: value(f, 'reason'),
  };
}

function renderShadow() {
  const rows = $('shadow-rows');
  if (!shadowReport) return rows.replaceChildren();
  rows.replaceChildren(
    ...shadowReport.stations.map((/** @type {any} */ s) =>
      el(
        'tr',
        {},
        el('td', {}, s.stationId),
        el('td', {}, String(s.evaluated)),
        el('td', {}, String(s.unchanged)),
        el('td', {}, String(s.changed)),
        el('td', {}, String(s.outcomeChanged)),
        el('td', {}, String(s.notEvaluable)),
      ),
    ),
  );
}

async function loadShadow() {
  const id = value(form('shadow'), 'versionId');
  try {
    shadowReport = await api(token, 'GET', `/rules/versions/${encodeURIComponent(id)}/shadow`);
    show($('shadow-result'), 'info', [
      `${shadowReport.version.id} · ${t('pending')}: ${shadowReport.pending ? t('yes') : t('no')}`,
    ]);
  } catch (e) {
    shadowReport = null;
    showError($('shadow-result'), e);
  }
  renderShadow();
}

function renderAudit() {
  $('audit-rows').replaceChildren(
    ...auditRows.map((a) => {
      const v = a.after ?? a.before;
      return el(
        'tr',
        {},
        el('td', {}, clockTime(a.at)),
        el('td', {}, `${a.actor} (${a.actorRole})`),
        el('td', {}, a.action === 'cancel' ? t('cancel') : t('schedule')),
        el('td', {}, a.versionId),
        el('td', {}, v ? `${clockTime(v.effectiveFrom)} · ${summary(v)}` : ''),
      );
    }),
  );
}

async function loadAudit() {
  try {
    auditRows = await api(token, 'GET', '/rules/audit?limit=50');
    show($('audit-result'), 'info', []);
  } catch (e) {
    showError($('audit-result'), e);
  }
  renderAudit();
}

function renderNetwork() {
  $('unrecorded-rows').replaceChildren(
    ...(unrecorded.length === 0
      ? [el('tr', {}, el('td', { colspan: '5', class: 'muted' }, t('noUnrecorded')))]
      : unrecorded.map((u) =>
          el(
            'tr',
            { 'data-station': u.stationId },
            el('td', {}, u.stationId),
            el('td', {}, clockTime(u.firstSeen)),
            el('td', {}, clockTime(u.lastSeen)),
            el('td', {}, String(u.taps)),
            el(
              'td',
              {},
              button(t('record'), () => {
                fillStation({ id: u.stationId, nameZh: '', nameEn: '', lines: [] });
              }),
            ),
          ),
        )),
  );
  $('station-rows').replaceChildren(
    ...stations.map((s) =>
      el(
        'tr',
        { 'data-station': s.id },
        el('td', {}, s.id),
        el('td', {}, s.nameZh),
        el('td', {}, s.nameEn),
        el('td', {}, s.lines.join(', ') || '—'),
        el(
          'td',
          {},
          button(t('edit'), () => fillStation(s)),
        ),
      ),
    ),
  );
  $('line-list').textContent = lines
    .map((l) => `${l.id} ${pick({ zh: l.nameZh, en: l.nameEn })}`)
    .join(' · ');
  $('device-rows').replaceChildren(
    ...devices.map((d) =>
      el(
        'tr',
        { 'data-device': `${d.stationId}/${d.deviceId}` },
        el('td', {}, d.stationId),
        el('td', {}, d.deviceId),
        el('td', {}, d.sentinel ? t('yes') : t('no')),
        el('td', {}, clockTime(d.updatedAt)),
      ),
    ),
  );
}

/** @param {{ id: string, nameZh: string, nameEn: string, lines: string[] }} s */
function fillStation(s) {
  const f = form('station');
  field(f, 'id').value = s.id;
  field(f, 'nameZh').value = s.nameZh;
  field(f, 'nameEn').value = s.nameEn;
  field(f, 'lines').value = s.lines.join(',');
}

async function loadNetwork() {
  try {
    [stations, unrecorded, lines, devices] = await Promise.all([
      api(token, 'GET', '/network/stations'),
      api(token, 'GET', '/network/stations/unrecorded'),
      api(token, 'GET', '/network/lines'),
      api(token, 'GET', '/network/devices'),
    ]);
    show($('network-result'), 'info', []);
  } catch (e) {
    showError($('network-result'), e);
  }
  renderNetwork();
}

/**
 * Sends one network change and shows its answer; the tables and the timeline reload after.
 * @param {string} region @param {string} method @param {string} path @param {unknown} body
 * @param {string} saved
 */
function change(region, method, path, body, saved) {
  api(token, method, path, body)
    .then(async () => {
      show($(region), 'ok', [saved]);
      await Promise.all([loadNetwork(), loadTimeline()]);
    })
    .catch((e) => showError($(region), e));
}

function wireNetwork() {
  form('network-refresh').addEventListener('submit', (ev) => {
    ev.preventDefault();
    void loadNetwork();
  });
  const st = form('station');
  const stationBody = () => ({
    nameZh: value(st, 'nameZh'),
    nameEn: value(st, 'nameEn'),
    lines: idList(value(st, 'lines')),
  });
  st.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const body = { id: value(st, 'id'), ...stationBody() };
    change('station-result', 'POST', '/network/stations', body, t('stationSaved'));
  });
  $('station-save').addEventListener('click', () => {
    const id = encodeURIComponent(value(st, 'id') || '-');
    change('station-result', 'PATCH', `/network/stations/${id}`, stationBody(), t('stationSaved'));
  });
  const ln = form('line');
  const lineNames = () => ({ nameZh: value(ln, 'nameZh'), nameEn: value(ln, 'nameEn') });
  ln.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const body = { id: value(ln, 'id'), ...lineNames() };
    change('line-result', 'POST', '/network/lines', body, t('lineSaved'));
  });
  $('line-rename').addEventListener('click', () => {
    const id = encodeURIComponent(value(ln, 'id') || '-');
    /** @type {Record<string, string>} */
    const body = {};
    for (const [k, v] of Object.entries(lineNames())) if (v) body[k] = v;
    change('line-result', 'PATCH', `/network/lines/${id}`, body, t('lineSaved'));
  });
  const dv = form('device');
  dv.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const station = encodeURIComponent(value(dv, 'stationId') || '-');
    const device = encodeURIComponent(value(dv, 'deviceId') || '-');
    const body = { sentinel: checked(dv, 'sentinel') };
    change(
      'device-result',
      'PUT',
      `/network/stations/${station}/devices/${device}`,
      body,
      t('deviceSaved'),
    );
  });
}

function wire() {
  wireNetwork();
  form('timeline').addEventListener('submit', (ev) => {
    ev.preventDefault();
    void loadTimeline();
  });
  form('schedule').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const region = $('schedule-result');
    api(token, 'POST', '/rules/versions', scheduleBody(form('schedule')))
      .then(async (/** @type {any} */ v) => {
        show(region, 'ok', [`${t('scheduled')}: ${v.id}`, clockTime(v.effectiveFrom)]);
        field(form('shadow'), 'versionId').value = v.id;
        await Promise.all([loadTimeline(), loadAudit()]);
      })
      .catch((e) => showError(region, e));
  });
  form('preview').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const f = form('preview');
    const sampled = value(f, 'latestNegativeSampledAt');
    /** @type {Record<string, unknown>} */
    const body = {
      stationId: value(f, 'stationId'),
      at: shanghaiInstant(value(f, 'at')),
      mode: value(f, 'mode'),
      credentialKind: value(f, 'credentialKind'),
      colour: value(f, 'colour'),
      latestNegativeSampledAt: sampled ? shanghaiInstant(sampled) : null,
      temperatureC: optionalNumber(f, 'temperatureC') ?? null,
      authorized: checked(f, 'authorized'),
      healthServiceAvailable: checked(f, 'healthServiceAvailable'),
      cleared: checked(f, 'cleared'),
    };
    // An unsaved draft: whatever the schedule form holds, checked as a schedule would be.
    if (checked(f, 'withDraft')) body.draft = scheduleBody(form('schedule'));
    const region = $('preview-result');
    api(token, 'POST', '/rules/preview', body)
      .then((/** @type {any} */ r) =>
        show(region, r.outcome === 'open' ? 'ok' : 'bad', [
          `${t('outcome')}: ${r.outcome} · ${pick(r.display)}`,
          ...(r.reasons.length ? [r.reasons.join(', ')] : []),
          ...(r.governedByDraft === undefined
            ? []
            : [r.governedByDraft ? t('byDraft') : t('notByDraft')]),
          `${t('version')} ${r.version.id} · ${summary(r.version)}`,
        ]),
      )
      .catch((e) => showError(region, e));
  });
  form('shadow').addEventListener('submit', (ev) => {
    ev.preventDefault();
    void loadShadow();
  });
  form('audit').addEventListener('submit', (ev) => {
    ev.preventDefault();
    void loadAudit();
  });
}

function rerender() {
  renderNetwork();
  renderTimeline();
  renderShadow();
  renderAudit();
}

languageToggle(rerender);
wire();
signIn(
  'operator',
  (tok) => {
    token = tok;
    $('console').hidden = false;
    void loadTimeline();
    void loadAudit();
    void loadNetwork();
  },
  () => {
    token = '';
    timeline = null;
    auditRows = [];
    shadowReport = null;
    stations = [];
    unrecorded = [];
    lines = [];
    devices = [];
    rerender();
    $('console').hidden = true;
  },
);
