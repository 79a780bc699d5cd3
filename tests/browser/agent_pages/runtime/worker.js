// A worker started by the page: its own root-relative fetch must go through the proxy too.
fetch("/api/from-worker").catch(() => {});
postMessage(`worker ran, importScripts is a ${typeof importScripts}`);
