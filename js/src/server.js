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

/** Ask the server for the room's proxy session: `{prefix, user, write, lead, sandbox,
 * kernelPass, server}`; `write` is false for a participant who may only watch (servers that do
 * not say are older ones: everyone writes), `lead` whether they may start presenting; `sandbox`
 * holds the flags of the widget's frame, the server's (proxied answers carry the same as a CSP
 * header), never with allow-same-origin. `own`: the user's own session of the room (practice
 * mode: their own cookies and form results). When the server's rooms are the JupyterHub
 * service's, it says where that is, and the session (and `server`, for the room's socket) is
 * the service's. */
export async function openSession(server, room, { own = false } = {}) {
  const answer = await postSession(server, room, own);
  if (typeof answer.service === "string" && answer.service) {
    return serviceSession(new URL(answer.service, window.location.origin).href, room, own);
  }
  return sessionOf(answer, server);
}

async function postSession(server, room, own) {
  const response = await fetch(new URL("cobrowse/api/session", server.baseUrl), {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", ...authHeaders(server) },
    body: JSON.stringify(own ? { room, own } : { room }),
  });
  if (response.status === 404) throw new Error(NO_EXTENSION);
  if (!response.ok) {
    const error = new Error(`the server answered ${response.status} ${response.statusText}`);
    error.status = response.status;
    throw error;
  }
  return response.json();
}

function sessionOf(session, server) {
  return {
    prefix: new URL(session.prefix, window.location.origin).href,
    user: session.user,
    write: session.permissions?.write !== false,
    lead: session.permissions?.lead !== false,
    kernelPass: typeof session.kernel_pass === "string" ? session.kernel_pass : null,
    sandbox: frameSandbox(session.sandbox),
    server,
  };
}

const serviceTokens = new Map(); // the service's base URL -> its XSRF token (a promise)

/** The session from the JupyterHub service at `baseUrl` (on this page's origin). The service
 * knows the user by its HubOAuth cookie and wants its XSRF token on each request: both come
 * from loading its sign-in page in a hidden frame (the hub's OAuth redirects set the cookie
 * the first time). A refused request signs in again once. */
async function serviceSession(baseUrl, room, own) {
  for (let attempt = 0; ; attempt++) {
    if (!serviceTokens.has(baseUrl)) serviceTokens.set(baseUrl, signIn(baseUrl));
    const service = { baseUrl, token: "", xsrf: "" };
    try {
      service.xsrf = await serviceTokens.get(baseUrl);
      return sessionOf(await postSession(service, room, own), service);
    } catch (err) {
      serviceTokens.delete(baseUrl);
      if (attempt > 0 || (err.status !== 403 && err.status !== undefined)) throw err;
    }
  }
}

const SIGN_IN_MS = 30000;

/** Load the service's sign-in page in a hidden frame of this origin and read the XSRF token
 * it holds; the frame passes through the hub's pages (OAuth) first when there is no cookie. */
function signIn(baseUrl) {
  return new Promise((resolve, reject) => {
    const frame = document.createElement("iframe");
    frame.hidden = true;
    frame.setAttribute("aria-hidden", "true");
    const done = (settle, value) => {
      clearTimeout(timer);
      frame.remove();
      settle(value);
    };
    const timer = setTimeout(
      () =>
        done(
          reject,
          new Error(
            "could not sign in to the co-browsing service: is your JupyterHub login still valid?",
          ),
        ),
      SIGN_IN_MS,
    );
    frame.addEventListener("load", () => {
      let token = null;
      try {
        token = frame.contentDocument?.querySelector('meta[name="cobrowse-xsrf"]')?.content;
      } catch {
        token = null; // a page of another origin on the way: wait for the next load
      }
      if (token) done(resolve, token);
    });
    frame.src = new URL("cobrowse/login", baseUrl).href;
    document.body.append(frame);
  });
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
