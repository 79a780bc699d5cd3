// Proxied URLs back to upstream ones (docs/protocol.md, "URLs"), so locators name the same link for
// participants whose proxy sessions (tokens) differ.

/**
 * A function mapping an absolute URL under `prefix` ({base_url}cobrowse/proxy/{token}/) to its
 * upstream URL; other URLs are returned unchanged.
 */
export function upstreamMapper(prefix, base) {
  let root = null;
  try {
    root = prefix ? new URL(prefix, base).href : null;
  } catch {
    // no usable prefix: keep URLs as they are
  }
  if (root && !root.endsWith("/")) root += "/";
  return (url) => {
    if (!root || !url.startsWith(root)) return url;
    const match = /^(https?)\/([^/?#]+)(.*)$/s.exec(url.slice(root.length));
    return match ? `${match[1]}://${match[2]}${match[3] || "/"}` : url;
  };
}
