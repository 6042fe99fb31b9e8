import type { AuthorizeQueryDto } from './sign-in.dto';

const escape = (s: string): string =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

const HIDDEN: (keyof AuthorizeQueryDto)[] = [
  'client_id',
  'redirect_uri',
  'response_type',
  'scope',
  'state',
  'code_challenge',
  'code_challenge_method',
];

/** The stand-in's sign-in page: the person signs in here, never on the metro's pages. */
export function signInPage(q: AuthorizeQueryDto, error: string | null): string {
  const asks =
    q.scope === 'identity health-status'
      ? '上海地铁请求核验您的身份，并读取您的健康码颜色与核酸结果用于一码通行。 Shanghai Metro asks to verify who you are and to read your health-code colour and test results for one-code riding.'
      : '上海地铁请求核验您的身份（实名登记）。 Shanghai Metro asks to verify who you are (real-name registration).';
  const hidden = HIDDEN.map(
    (k) => `<input type="hidden" name="${k}" value="${escape(String(q[k]))}">`,
  ).join('\n      ');
  return `<!doctype html>
<html lang="zh-CN">
  <head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
  <title>随申码 · 登录授权 · Sign in</title></head>
  <body>
    <h1>随申码 · Sign in</h1>
    <p id="asks">${escape(asks)}</p>
    ${error === null ? '' : `<p id="error" role="alert">${escape(error)}</p>`}
    <form method="post" action="/oauth/authorize">
      ${hidden}
      <label>身份证号 ID number <input name="idNumber" autocomplete="username" required></label>
      <label>密码 Passcode <input name="passcode" type="password" autocomplete="current-password" required></label>
      <button type="submit">同意并授权 Agree and sign in</button>
    </form>
  </body>
</html>`;
}
