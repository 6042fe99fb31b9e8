// @ts-check
// The rider's one screen: health status (display only), the rotating ride QR code, linkage.
/* global document, setTimeout, clearTimeout, location, history, sessionStorage, URLSearchParams, confirm */
import {
  ApiError,
  api,
  claimsOf,
  clockTime,
  el,
  languageToggle,
  pick,
  show,
  showError,
  signIn,
  t,
} from './lib.js';

/** Fetch a new code this long before the current one expires. */
const REFRESH_BEFORE_MS = 10_000;
const MIN_REFRESH_MS = 5_000;

/** @param {string} id */
const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));
/** @param {string} id */
const form = (id) => /** @type {HTMLFormElement} */ (document.getElementById(id));

let token = '';
let riderId = '';
/** @type {ReturnType<typeof setTimeout> | undefined} */
let refreshTimer;
/** @type {{code: string, expiresAt: string} | null} */
let current = null;
/** @type {any} */
let status = null;
let statusError = '';

/** Served by the gateway from the uqr package; a variable, so it is resolved only at run time. */
const QR_MODULE = './vendor/uqr.mjs';
/** The QR library, loaded once; null when the gateway has none installed. */
const qrLibrary = import(QR_MODULE).catch(() => null);

async function renderCode() {
  const img = /** @type {HTMLImageElement} */ ($('qr'));
  const text = $('code-text');
  if (!current) {
    img.hidden = true;
    text.hidden = true;
    $('code-expiry').textContent = '';
    return;
  }
  const lib = await qrLibrary;
  $('code-expiry').textContent = `${t('expiresAt')} ${clockTime(current.expiresAt)}`;
  img.alt = t('rideCodeAlt');
  if (lib) {
    const svg = lib.renderSVG(current.code, { ecc: 'M', border: 2 });
    img.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
    img.dataset.code = current.code;
    img.hidden = false;
    text.hidden = true;
  } else {
    img.hidden = true;
    text.textContent = current.code;
    text.hidden = false;
    show($('code-result'), 'bad', [t('qrMissing')]);
  }
}

/** A fresh code now, and the next one shortly before this one expires. */
async function refreshCode() {
  clearTimeout(refreshTimer);
  try {
    current = await api(token, 'POST', `/riders/${encodeURIComponent(riderId)}/ride-code`);
    await renderCode();
    const left = Date.parse(current?.expiresAt ?? '') - Date.now();
    refreshTimer = setTimeout(
      () => void refreshCode(),
      Math.max(MIN_REFRESH_MS, left - REFRESH_BEFORE_MS),
    );
  } catch (e) {
    current = null;
    await renderCode();
    showError($('code-result'), e);
    refreshTimer = setTimeout(() => void refreshCode(), MIN_REFRESH_MS * 2);
  }
}

function renderStatus() {
  const colour = $('status-colour');
  if (!status) {
    colour.replaceChildren(statusError);
    for (const id of ['status-sampled', 'status-left', 'status-window']) $(id).textContent = '';
    return;
  }
  const badge = document.createElement('span');
  badge.className = `badge ${status.colour}`;
  badge.textContent = t(`colour.${status.colour}`);
  colour.replaceChildren(badge);
  $('status-sampled').textContent = clockTime(
    status.latestTest?.sampledAt ?? status.latestNegativeSampledAt,
  );
  $('status-left').textContent = status.hoursLeft === null ? t('none') : String(status.hoursLeft);
  $('status-window').textContent = String(status.windowHours);
}

async function loadStatus() {
  try {
    const screen = await api(token, 'GET', `/riders/${encodeURIComponent(riderId)}/status`);
    // No data yet (never authorized, or revoked): the screen says what to do, not an error.
    status = screen.linkage === 'linked' ? screen : null;
    statusError = status ? '' : pick(screen.notice);
    show($('status-result'), 'info', []);
  } catch (e) {
    status = null;
    statusError = '';
    if (e instanceof ApiError && e.code === 'RIDER_NOT_FOUND') statusError = t('notRegistered');
    else showError($('status-result'), e);
  }
  renderStatus();
}

async function loadCheckIns() {
  const list = $('check-ins');
  try {
    const { checkIns } = await api(
      token,
      'GET',
      `/riders/${encodeURIComponent(riderId)}/check-ins?limit=20`,
    );
    list.replaceChildren(
      ...checkIns.map((/** @type {any} */ c) =>
        el('li', {}, `${clockTime(c.checkedInAt)} · ${c.stationId} ${c.gateId} · ${c.via}`),
      ),
    );
    show($('check-ins-result'), 'info', checkIns.length === 0 ? [t('noCheckIns')] : []);
  } catch (e) {
    list.replaceChildren();
    showError($('check-ins-result'), e);
  }
}

function wire() {
  form('status-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    void loadStatus();
  });
  form('linkage').addEventListener('submit', (ev) => {
    ev.preventDefault();
    void startProof('authorize', 'linkage-result');
  });
  $('revoke').addEventListener('click', () => {
    api(token, 'DELETE', `/riders/${encodeURIComponent(riderId)}/authorization`)
      .then(async () => {
        show($('linkage-result'), 'ok', [t('revokedNow')]);
        await loadStatus();
      })
      .catch((e) => showError($('linkage-result'), e));
  });
  form('register').addEventListener('submit', (ev) => {
    ev.preventDefault();
    void startProof('register', 'register-result');
  });
  form('check-ins-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    void loadCheckIns();
  });
  $('erase').addEventListener('click', () => {
    if (!confirm(t('eraseConfirm'))) return;
    api(token, 'DELETE', `/riders/${encodeURIComponent(riderId)}`)
      .then(async () => {
        show($('erase-result'), 'ok', [t('erasedNow')]);
        await loadStatus();
      })
      .catch((e) => showError($('erase-result'), e));
  });
}

/** Which sign-in this tab started, so the page knows what the returning code is for. */
const PROOF_KEY = 'console.rider.proof';

/**
 * Sends the rider to the health authority's own sign-in page: the person proves who they are
 * there, never here. The authority sends them back with a one-time code.
 * @param {'register' | 'authorize'} purpose
 * @param {string} resultId
 */
async function startProof(purpose, resultId) {
  try {
    const started = await api(
      token,
      'POST',
      `/riders/${encodeURIComponent(riderId)}/identity-proofs`,
      { purpose },
    );
    sessionStorage.setItem(PROOF_KEY, purpose);
    location.assign(started.authorizeUrl);
  } catch (e) {
    showError($(resultId), e);
  }
}

/** Back from the sign-in with ?code=…&state=…: the gateway exchanges the code. */
async function completeProof() {
  const params = new URLSearchParams(location.search);
  const code = params.get('code');
  const state = params.get('state');
  if (!code || !state) return;
  history.replaceState(null, '', location.pathname);
  const purpose = sessionStorage.getItem(PROOF_KEY);
  sessionStorage.removeItem(PROOF_KEY);
  const resultId = purpose === 'register' ? 'register-result' : 'linkage-result';
  show($(resultId), 'info', [t('signingIn')]);
  try {
    if (purpose === 'register') {
      await api(token, 'POST', '/riders', { code, state });
      show($(resultId), 'ok', [t('riderRegistered')]);
      await refreshCode();
    } else {
      await api(token, 'POST', `/riders/${encodeURIComponent(riderId)}/authorization`, {
        code,
        state,
      });
      show($(resultId), 'ok', [t('authorizedNow')]);
    }
  } catch (e) {
    showError($(resultId), e);
  }
  await loadStatus();
}

languageToggle(() => {
  renderStatus();
  void renderCode();
});
wire();
signIn(
  'rider',
  (tok) => {
    token = tok;
    riderId = claimsOf(tok).sub ?? '';
    $('screen').hidden = false;
    void refreshCode();
    void loadStatus();
    void loadCheckIns();
    void completeProof();
  },
  () => {
    clearTimeout(refreshTimer);
    token = '';
    riderId = '';
    current = null;
    status = null;
    $('screen').hidden = true;
    void renderCode();
  },
);
