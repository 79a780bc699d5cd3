// Talking to the Jupyter server that shows this notebook: its base URL, auth, and our API.

/** Base URL, token and XSRF cookie of the Jupyter server, from JupyterLab's page config. */
export function jupyterServer() {
  let config = {};
  try {
    config = JSON.parse(document.getElementById("jupyter-config-data")?.textContent ?? "{}");
  } catch {
    config = {};
  }
  const baseUrl = new URL(config.baseUrl ?? "/", window.location.origin).href;
  const xsrf = document.cookie.match(/(?:^|;\s*)_xsrf=([^;]*)/)?.[1];
  return { baseUrl, token: config.token ?? "", xsrf: xsrf ? decodeURIComponent(xsrf) : "" };
}

function authHeaders(server) {
  const headers = {};
  if (server.token) headers.Authorization = `token ${server.token}`;
  if (server.xsrf) headers["X-XSRFToken"] = server.xsrf;
  return headers;
}

/** What a 404 from our API means: Jupyter runs without the server extension. */
export const NO_EXTENSION =
  "The cobrowse-widget server extension is not running in this Jupyter server: install " +
  "cobrowse-widget in the environment that runs Jupyter (pip install cobrowse-widget), then " +
  "restart Jupyter.";

/** Ask the server for the room's proxy session: `{prefix, user, write, sandbox, kernelPass}`; `write` is false
 * for a participant who may only watch (servers that do not say are older ones: everyone
 * writes); `sandbox` holds the flags of the widget's frame, the server's (proxied answers carry
 * the same as a CSP header), never with allow-same-origin. `own`: the user's own session of the
 * room (practice mode: their own cookies and form results). */
export async function openSession(server, room, { own = false } = {}) {
  const response = await fetch(new URL("cobrowse/api/session", server.baseUrl), {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", ...authHeaders(server) },
    body: JSON.stringify(own ? { room, own } : { room }),
  });
  if (response.status === 404) throw new Error(NO_EXTENSION);
  if (!response.ok) {
    throw new Error(`the server answered ${response.status} ${response.statusText}`);
  }
  const session = await response.json();
  return {
    prefix: new URL(session.prefix, window.location.origin).href,
    user: session.user,
    write: session.permissions?.write !== false,
    kernelPass: typeof session.kernel_pass === "string" ? session.kernel_pass : null,
    sandbox: frameSandbox(session.sandbox),
  };
}

/** The websocket URL of a room. */
export function roomSocketUrl(server, room) {
  const url = new URL(`cobrowse/api/rooms/${encodeURIComponent(room)}`, server.baseUrl);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  if (server.token) url.searchParams.set("token", server.token);
  return url.href;
}

/** The server's sandbox flags for the frame, without any that would give pages an origin. */
export function frameSandbox(flags) {
  const tokens = typeof flags === "string" ? flags.split(/\s+/) : [];
  return tokens
    .filter((flag) => /^allow-[a-z-]+$/.test(flag) && flag !== "allow-same-origin")
    .join(" ");
}
