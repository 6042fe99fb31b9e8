// @ts-check
// The operator's rules console: timeline, schedule, cancel, preview, shadow counts, audit.
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

function wire() {
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
    const region = $('preview-result');
    api(token, 'POST', '/rules/preview', body)
      .then((/** @type {any} */ r) =>
        show(region, r.outcome === 'open' ? 'ok' : 'bad', [
          `${t('outcome')}: ${r.outcome} · ${pick(r.display)}`,
          ...(r.reasons.length ? [r.reasons.join(', ')] : []),
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
  },
  () => {
    token = '';
    timeline = null;
    auditRows = [];
    shadowReport = null;
    rerender();
    $('console').hidden = true;
  },
);
