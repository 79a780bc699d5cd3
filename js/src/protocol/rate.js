// Rate caps for messages a page can send as fast as it likes (docs/protocol.md, "Bounds").

/** A token bucket refilled at `rate` tokens a second up to `burst`; times are in milliseconds. */
export function tokenBucket({ rate, burst }, now) {
  let tokens = burst;
  let last = now;
  const refill = (at) => {
    tokens = Math.min(burst, tokens + (Math.max(0, at - last) * rate) / 1000);
    last = Math.max(last, at);
  };
  return {
    /** Takes a token if one is left at `at`. */
    take(at) {
      refill(at);
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    },
    /** Milliseconds from `at` until a token is available. */
    wait(at) {
      refill(at);
      return tokens >= 1 ? 0 : Math.ceil(((1 - tokens) * 1000) / rate);
    },
  };
}

/**
 * `fn` capped to `limit` ({rate, burst}); calls over the cap are coalesced into one trailing
 * call with the latest argument, so the last state always gets through. Returns
 * {call(value), cancel()}.
 */
export function coalesced(fn, limit, clock = () => performance.now()) {
  const bucket = tokenBucket(limit, clock());
  let timer = 0;
  let latest;
  const flush = () => {
    timer = 0;
    if (bucket.take(clock())) fn(latest);
    else timer = setTimeout(flush, bucket.wait(clock()));
  };
  return {
    call(value) {
      latest = value;
      if (!timer) flush();
    },
    cancel() {
      clearTimeout(timer);
      timer = 0;
    },
  };
}
