// Leading-and-trailing throttle: at most one call per `ms`, and always one after the last request.

export function throttle(fn, ms) {
  let timer = 0;
  let last = -Infinity;
  const fire = () => {
    timer = 0;
    last = performance.now();
    fn();
  };
  return {
    call() {
      if (timer) return;
      const wait = last + ms - performance.now();
      if (wait <= 0) fire();
      else timer = setTimeout(fire, wait);
    },
    cancel() {
      clearTimeout(timer);
      timer = 0;
    },
  };
}
