// A worker's own fetch with an Authorization header: renamed like the page's.
fetch("/api/auth-worker", { headers: { Authorization: "Bearer w" } }).then(
  () => postMessage("worker"),
  () => postMessage("worker failed"),
);
