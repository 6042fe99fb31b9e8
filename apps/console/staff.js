// @ts-check
// The station staff desk: live feed of riders the gates sent to staff, and the desk's acts.
/* global document, setInterval, clearInterval */
import {
  abortable,
  api,
  claimsOf,
  clockTime,
  el,
  field,
  languageToggle,
  pick,
  readEvents,
  shanghaiInstant,
  show,
  showError,
  signIn,
  t,
  value,
  checked,
} from './lib.js';

/** @typedef {{stationId: string, gateId: string, tapId: string, mode: string, credentialKind: string, outcome: string, reasons: string[], display: {zh: string, en: string}, decidedAt: string}} FeedEvent */

const MAX_FEED = 50;
const LOOKUP_SHOWN_MS = 10_000;

/** @param {string} id */
const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));
/** @param {string} id */
const form = (id) => /** @type {HTMLFormElement} */ (document.getElementById(id));

let token = '';
let station = '';
/** @type {FeedEvent[]} */
let events = [];
/** @type {FeedEvent | null} */
let selected = null;
/** @type {AbortController | null} */
let feedAbort = null;
let feedState = '';

const base = () => `/stations/${encodeURIComponent(station)}`;

function renderFeed() {
  const list = $('feed');
  list.replaceChildren(
    ...events.map((e) => {
      const button = el('button', { type: 'button', class: 'secondary' }, t('select'));
      button.addEventListener('click', () => selectCase(e));
      return el(
        'li',
        { 'data-tap': e.tapId },
        el('time', { datetime: e.decidedAt }, clockTime(e.decidedAt).slice(11)),
        el('span', { class: `badge ${e.outcome}` }, `${t('gate')} ${e.gateId}`),
        el(
          'span',
          { class: 'what' },
          `${pick(e.display)} · ${e.credentialKind} · ${e.reasons.join(', ')}`,
        ),
        button,
      );
    }),
  );
  $('feed-empty').hidden = events.length > 0;
  $('feed-state').textContent = feedState ? t(feedState) : '';
  renderCase();
}

/** @param {FeedEvent} e */
function selectCase(e) {
  selected = e;
  field(form('case'), 'gateId').value = e.gateId;
  renderCase();
  field(form('case'), 'mediumNo').focus();
}

function renderCase() {
  const info = $('case-info');
  if (!selected) {
    info.textContent = t('noCase');
    return;
  }
  const e = selected;
  info.textContent = `${t('gate')} ${e.gateId} · ${t('credential')} ${e.credentialKind} · ${t('tap')} ${e.tapId} · ${pick(e.display)}`;
}

function startFeed() {
  feedAbort?.abort();
  const controller = abortable();
  feedAbort = controller;
  void readEvents(
    token,
    `${base()}/feed`,
    (type, data) => {
      if (type !== 'tap') return;
      events = [/** @type {FeedEvent} */ (JSON.parse(data)), ...events].slice(0, MAX_FEED);
      renderFeed();
    },
    (state, detail) => {
      feedState = { open: 'feedOpen', retrying: 'feedRetrying', refused: 'feedRefused' }[state];
      renderFeed();
      if (detail) $('feed-state').textContent = `${t(feedState)}: ${detail}`;
    },
    controller.signal,
  );
}

const gateOfCase = () => value(form('case'), 'gateId');
const mediumOfCase = () => value(form('case'), 'mediumNo');

/**
 * Submits a form through `act`, showing the server's answer or its error in `region`.
 * @param {string} formId
 * @param {(f: HTMLFormElement) => Promise<void>} act
 */
function onSubmit(formId, act) {
  const f = form(formId);
  const region = $(`${formId}-result`);
  f.addEventListener('submit', (ev) => {
    ev.preventDefault();
    show(region, 'info', ['…']);
    act(f).catch((e) => showError(region, e));
  });
}

/** The body of each kind of evidence check. @param {HTMLFormElement} f @param {string} kind */
function verifyBody(f, kind) {
  switch (kind) {
    case 'offline-code':
      return { code: value(f, 'code'), idNumber: value(f, 'idNumber') };
    case 'relative-code':
      return { code: value(f, 'code') };
    case 'elderly-child':
      return { idNumber: value(f, 'idNumber'), name: value(f, 'name') };
    case 'test-report':
      return { source: value(f, 'source'), sampledAt: shanghaiInstant(value(f, 'sampledAt')) };
    default: {
      const raw = value(f, 'temperatureC');
      return { temperatureC: raw === '' ? null : Number(raw) };
    }
  }
}

function showEvidenceFields() {
  const kind = value(form('verify'), 'evidence');
  for (const group of form('verify').querySelectorAll('[data-for]')) {
    const node = /** @type {HTMLElement} */ (group);
    node.hidden = !(node.dataset.for ?? '').split(' ').includes(kind);
  }
}

function wireDesk() {
  field(form('verify'), 'evidence').addEventListener('change', showEvidenceFields);
  showEvidenceFields();

  onSubmit('verify', async (f) => {
    const kind = value(f, 'evidence');
    const r = await api(token, 'POST', `${base()}/desk/verify/${kind}`, verifyBody(f, kind));
    for (const name of ['code', 'idNumber']) field(f, name).value = '';
    show($('verify-result'), r.pass ? 'ok' : 'bad', [
      r.pass ? t('passed') : t('notPassed'),
      ...(r.reasons.length ? [r.reasons.join(', ')] : []),
      ...(r.codeStatus ? [`${t('code')}: ${r.codeStatus}`] : []),
      `${t('verification')} ${r.verificationId}`,
    ]);
    offerVerification(r);
  });

  onSubmit('register', async (f) => {
    /** @type {Record<string, string>} */
    const body = { verificationId: needVerification(f) };
    const idNumber = value(f, 'idNumber');
    if (idNumber) body.idNumber = idNumber;
    if (mediumOfCase()) body.mediumNo = mediumOfCase();
    const r = await api(token, 'POST', `${base()}/desk/registrations`, body);
    field(f, 'idNumber').value = '';
    show($('register-result'), 'ok', [
      `${t('registered')} ${r.checkInId}`,
      clockTime(r.checkedInAt),
      `${t('verification')} ${r.verificationId}`,
    ]);
  });

  onSubmit('pass', async (f) => {
    const bind = /** @type {HTMLInputElement | null} */ (
      f.querySelector('input[name="bind"]:checked')
    );
    const key = bind?.value ?? 'ticketNo';
    const target =
      key === 'gateId' ? gateOfCase() : key === 'rideCode' ? value(f, 'rideCode') : mediumOfCase();
    const body = {
      [key]: target,
      expiresInMinutes: Number(value(f, 'expiresInMinutes')),
      verificationId: needVerification(f),
    };
    const r = await api(token, 'POST', `${base()}/desk/passes`, body);
    field(f, 'rideCode').value = '';
    show($('pass-result'), 'ok', [
      `${t('passIssued')}: ${r.boundTo}`,
      `${t('expiresAt')} ${clockTime(r.expiresAt)}`,
      `${t('verification')} ${r.verificationId}`,
    ]);
  });

  onSubmit('open', async (f) => {
    const gate = encodeURIComponent(gateOfCase() || '-');
    const r = await api(token, 'POST', `${base()}/gates/${gate}/open`, {
      reason: value(f, 'reason'),
    });
    show($('open-result'), r.acknowledged ? 'ok' : 'bad', [
      r.acknowledged ? t('acknowledged') : `${t('notAcknowledged')} (${r.reason})`,
      `${t('gate')} ${gateOfCase()} · ${r.passId}`,
    ]);
  });

  wireLookup();
}

/**
 * A verification that passed is offered to the registration and pass forms; one that did not
 * clears them, so nothing is registered on the strength of a failed check.
 * @param {{ pass: boolean, verificationId: string }} r
 */
function offerVerification(r) {
  for (const id of ['register', 'pass'])
    field(form(id), 'verificationId').value = r.pass ? r.verificationId : '';
}

/** The verification a form names, or an error the form shows. @param {HTMLFormElement} f */
function needVerification(f) {
  const id = value(f, 'verificationId');
  if (!id) throw new Error(t('needVerification'));
  return id;
}

/** Shown for 10 s at most, then gone from the screen and from this page's memory. */
function wireLookup() {
  const f = form('lookup');
  const region = $('lookup-result');
  /** @type {ReturnType<typeof setInterval> | undefined} */
  let timer;
  const clear = () => {
    clearInterval(timer);
    timer = undefined;
    region.replaceChildren();
    delete region.dataset.kind;
  };
  f.addEventListener('submit', (ev) => {
    ev.preventDefault();
    clear();
    const body = { idNumber: value(f, 'idNumber'), riderPresent: checked(f, 'riderPresent') };
    field(f, 'idNumber').value = '';
    /** @type {HTMLInputElement} */ (field(f, 'riderPresent')).checked = false;
    api(token, 'POST', `${base()}/desk/id-lookups`, body)
      .then((/** @type {any} */ r) => {
        offerVerification(r);
        const until = Math.min(
          Date.parse(r.displayUntil) || Infinity,
          Date.now() + LOOKUP_SHOWN_MS,
        );
        const lines = r.found
          ? [
              `${t('colour')}: ${t(`colour.${r.colour}`)}`,
              `${t('latestNegative')}: ${clockTime(r.latestNegativeSampledAt)}`,
              r.reasons.join(', '),
            ]
          : [t('notFound')];
        r = null; // the only copy left is on screen, until the timer clears it
        const countdown = el('p', { class: 'muted' });
        const tick = () => {
          const left = Math.ceil((until - Date.now()) / 1000);
          if (left <= 0) clear();
          else countdown.textContent = `${left} ${t('clearsIn')}`;
        };
        show(region, lines.length > 1 ? 'ok' : 'bad', lines.filter(Boolean));
        region.append(countdown);
        tick();
        timer = setInterval(tick, 250);
      })
      .catch((e) => showError(region, e));
  });
}

function signedIn(/** @type {string} */ t0) {
  token = t0;
  station = claimsOf(token).station ?? '';
  $('desk').hidden = false;
  events = [];
  selected = null;
  renderFeed();
  startFeed();
}

function signedOut() {
  feedAbort?.abort();
  token = '';
  station = '';
  events = [];
  selected = null;
  $('desk').hidden = true;
}

languageToggle(renderFeed);
wireDesk();
signIn('staff', signedIn, signedOut);
