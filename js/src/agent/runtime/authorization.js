// A page script's own Authorization header (a bearer token, an API key) travels to the proxy as
// X-Cobrowse-Authorization, and the proxy restores it for the site (jupyter_ext/proxy/_headers.py).
// Under its own name it would be indistinguishable from the HTTP authentication the browser
// attaches by itself for Jupyter's origin, which the proxy must leave behind.

const PAGE_AUTHORIZATION = "X-Cobrowse-Authorization";

/**
 * The `init` of `fetch(input, init)` or `new Request(input, init)`, with the Authorization header
 * that `init` (or else the Request `input`) carries renamed; `init` itself when there is none.
 */
export function privateAuthorization(input, init) {
  const given = init != null && init.headers !== undefined;
  const source = given ? init.headers : input instanceof Request ? input.headers : undefined;
  if (source === undefined) return init;
  const headers = new Headers(source);
  const value = headers.get("authorization");
  if (value === null) return init;
  headers.delete("authorization");
  headers.set(PAGE_AUTHORIZATION, value);
  return { ...init, headers };
}

/** The header name `XMLHttpRequest.setRequestHeader(name, ...)` should use. */
export function xhrHeaderName(name) {
  return String(name).toLowerCase() === "authorization" ? PAGE_AUTHORIZATION : name;
}
