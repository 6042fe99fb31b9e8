// @ts-check
// Shared by the three consoles: sign-in, API calls, the live feed reader, language switching.
/* global document, sessionStorage, fetch, TextDecoder, atob, AbortController, setTimeout, HTMLInputElement, HTMLSelectElement, HTMLTextAreaElement */
import { DICT } from './i18n.js';

/** @typedef {'zh' | 'en'} Lang */

/** @returns {Lang} */
export const lang = () => (sessionStorage.getItem('console.lang') === 'en' ? 'en' : 'zh');

/** @param {string} key */
export const t = (key) => {
  const entry = DICT[key];
  return entry ? entry[lang()] : key;
};

/** Fills every `data-i18n` element (and `data-i18n-placeholder`) in the current language. */
export function applyLang() {
  document.documentElement.lang = lang() === 'zh' ? 'zh-CN' : 'en';
  for (const node of document.querySelectorAll('[data-i18n]')) {
    node.textContent = t(/** @type {HTMLElement} */ (node).dataset.i18n ?? '');
  }
  for (const node of document.querySelectorAll('[data-i18n-placeholder]')) {
    const input = /** @type {HTMLInputElement} */ (node);
    input.placeholder = t(input.dataset.i18nPlaceholder ?? '');
  }
}

/** Wires the language button; `onChange` re-renders what was built from data. */
export function languageToggle(onChange = () => {}) {
  const button = /** @type {HTMLButtonElement} */ (document.getElementById('lang'));
  button.addEventListener('click', () => {
    sessionStorage.setItem('console.lang', lang() === 'zh' ? 'en' : 'zh');
    applyLang();
    onChange();
  });
  applyLang();
}

/** A bilingual reply text, in the chosen language. @param {{zh: string, en: string}} d */
export const pick = (d) => d[lang()];

/**
 * The token's claims, read for display only: the gateway verifies it on every call.
 * @param {string} token
 * @returns {{sub?: string, role?: string, station?: string, exp?: number}}
 */
export function claimsOf(token) {
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const bytes = Uint8Array.from(atob(part), (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return {};
  }
}

/**
 * The bearer token of one console, kept in sessionStorage (gone when the tab closes).
 * @param {string} role
 */
export function tokenStore(role) {
  const key = `console.token.${role}`;
  return {
    get: () => sessionStorage.getItem(key),
    /** @param {string} token */
    set: (token) => sessionStorage.setItem(key, token),
    clear: () => sessionStorage.removeItem(key),
  };
}

export class ApiError extends Error {
  /** @param {number} status @param {string} code @param {string} message */
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/**
 * One API call with the bearer token. Errors carry the server's code and message.
 * @param {string} token
 * @param {string} method
 * @param {string} path
 * @param {unknown} [body]
 */
export async function api(token, method, path, body) {
  /** @type {Record<string, string>} */
  const headers = { authorization: `Bearer ${token}`, accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: 'no-store',
  });
  const text = await res.text();
  const data = text ? JSON.parse(text) : null;
  if (!res.ok) {
    throw new ApiError(
      res.status,
      data?.code ?? String(res.status),
      data?.message ?? res.statusText,
    );
  }
  return data;
}

/**
 * Reads a server-sent event stream with fetch, so the token goes in the Authorization header
 * (EventSource cannot send one). Reconnects after a drop until `signal` aborts.
 * @param {string} token
 * @param {string} path
 * @param {(type: string, data: string) => void} onEvent
 * @param {(state: 'open' | 'retrying' | 'refused', detail?: string) => void} onState
 * @param {AbortSignal} signal
 */
export async function readEvents(token, path, onEvent, onState, signal) {
  while (!signal.aborted) {
    try {
      const res = await fetch(path, {
        headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
        signal,
        cache: 'no-store',
      });
      if (res.status === 401 || res.status === 403) {
        const body = await res.json().catch(() => ({}));
        onState('refused', body.message);
        return;
      }
      if (!res.ok || !res.body) throw new Error(String(res.status));
      onState('open');
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let type = 'message';
          const data = [];
          for (const line of block.split('\n')) {
            if (line.startsWith('event:')) type = line.slice(6).trim();
            else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
          }
          if (data.length > 0) onEvent(type, data.join('\n'));
        }
      }
    } catch {
      if (signal.aborted) return;
    }
    onState('retrying');
    await new Promise((resolve) => setTimeout(resolve, 2_000));
  }
}

/** @returns {AbortController} */
export const abortable = () => new AbortController();

/**
 * Shows the outcome of an action in its aria-live region.
 * @param {HTMLElement} region
 * @param {'ok' | 'bad' | 'info'} kind
 * @param {string[]} lines
 */
export function show(region, kind, lines) {
  region.replaceChildren(...lines.map((line) => el('p', {}, line)));
  region.dataset.kind = kind;
}

/**
 * A server error as the form shows it: the code, then each message.
 * @param {HTMLElement} region
 * @param {unknown} e
 */
export function showError(region, e) {
  if (e instanceof ApiError) {
    const messages = e.message.split('; ').filter(Boolean);
    show(region, 'bad', [`${t('error')} ${e.status} ${e.code}`, ...messages]);
  } else {
    show(region, 'bad', [`${t('error')}: ${e instanceof Error ? e.message : String(e)}`]);
  }
}

/**
 * Builds an element; text children only (never HTML), so server data cannot inject markup.
 * @param {string} tag
 * @param {Record<string, string>} attrs
 * @param {...(string | Node)} children
 */
export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

/** @param {HTMLFormElement} form @param {string} name */
export function field(form, name) {
  const node = form.elements.namedItem(name);
  if (!(
    node instanceof HTMLInputElement ||
    node instanceof HTMLSelectElement ||
    node instanceof HTMLTextAreaElement
  )) {
    throw new Error(`no field ${name}`);
  }
  return node;
}

/** @param {HTMLFormElement} form @param {string} name */
export const value = (form, name) => field(form, name).value.trim();

/** @param {HTMLFormElement} form @param {string} name */
export const checked = (form, name) => /** @type {HTMLInputElement} */ (field(form, name)).checked;

/** A number, or undefined for an empty field (the server's default applies). @param {HTMLFormElement} form @param {string} name */
export function optionalNumber(form, name) {
  const v = value(form, name);
  return v === '' ? undefined : Number(v);
}

/**
 * Wires the sign-in form of a console: paste a token, keep it for this tab, sign out.
 * @param {string} role
 * @param {(token: string) => void} onSignedIn
 * @param {() => void} onSignedOut
 */
export function signIn(role, onSignedIn, onSignedOut) {
  const store = tokenStore(role);
  const form = /** @type {HTMLFormElement} */ (document.getElementById('sign-in'));
  const out = /** @type {HTMLButtonElement} */ (document.getElementById('sign-out'));
  const who = /** @type {HTMLElement} */ (document.getElementById('who'));
  const result = /** @type {HTMLElement} */ (document.getElementById('sign-in-result'));
  const enter = (/** @type {string} */ token) => {
    const c = claimsOf(token);
    if (c.role !== role) {
      show(result, 'bad', [`${t('wrongRole')} ${role}`]);
      return;
    }
    store.set(token);
    form.hidden = true;
    out.hidden = false;
    who.textContent = [c.sub, c.station].filter(Boolean).join(' · ');
    show(result, 'info', []);
    onSignedIn(token);
  };
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const token = value(form, 'token');
    field(form, 'token').value = '';
    enter(token);
  });
  out.addEventListener('click', () => {
    store.clear();
    form.hidden = false;
    out.hidden = true;
    who.textContent = '';
    onSignedOut();
  });
  const saved = store.get();
  if (saved) enter(saved);
}

/**
 * A datetime-local value read as Asia/Shanghai wall time, with its +08:00 offset; other text
 * is passed through for the server to judge.
 * @param {string} v
 */
export function shanghaiInstant(v) {
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(v)) return `${v}:00+08:00`;
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/.test(v)) return `${v}+08:00`;
  return v;
}

/** The wall-clock part of an ISO instant with offset, as the gateway formats them. @param {string | null | undefined} iso */
export const clockTime = (iso) => (iso ? iso.replace('T', ' ').replace(/\.\d+/, '') : t('none'));
