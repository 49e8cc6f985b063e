/** The login form a browser gets instead of a 401 problem, and after a failed login. */
import { escapeHtml, htmlPage } from "./html";

/** Only same-site paths may be a `next` target, so the form cannot redirect elsewhere. */
export function safeNext(value: string | null | undefined): string {
  return value && /^\/(?!\/)[A-Za-z0-9/_.-]{0,200}$/.test(value) ? value : "/dashboard";
}

export function loginPage(options: { next?: string; error?: string; status?: number } = {}): Response {
  const next = safeNext(options.next);
  return htmlPage({
    title: "Switchboard — sign in",
    status: options.status ?? 401,
    css: "form { max-width: 26rem; margin: 3rem auto; display: grid; gap: .6rem; } input { padding: .4rem; }",
    body: `<form method="post" action="/dashboard/login">
  <h1>Switchboard</h1>
  <p class="muted">Sign in with an API key (e.g. the dev key <code>sk_dev_admin</code> from <code>.dev.vars</code>).
  The key is sent once, in this form's body; the browser then keeps an HttpOnly session cookie.</p>
  ${options.error ? `<p class="bad" role="alert">${escapeHtml(options.error)}</p>` : ""}
  <label>API key <input type="password" name="key" autocomplete="current-password" required autofocus></label>
  <input type="hidden" name="next" value="${escapeHtml(next)}">
  <button type="submit">Sign in</button>
</form>`,
  });
}
