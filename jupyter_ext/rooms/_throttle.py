"""Token buckets that pace what one connection sends: messages and bytes per second."""

from __future__ import annotations


class Bucket:
    """``rate`` units a second with bursts up to ``burst``; a cost may run the bucket into debt,
    which the caller pays by waiting (so one large message is admitted, then paid for)."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self.stamp: float | None = None

    def take(self, cost: float, now: float) -> float:
        """Spend ``cost`` at time ``now``; the seconds to wait before acting on it."""
        if self.stamp is not None:
            self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        self.tokens -= cost
        return max(0.0, -self.tokens / self.rate)


class Throttle:
    """Paces one peer's incoming messages by count and by bytes."""

    def __init__(self, messages_per_second: float, bytes_per_second: float) -> None:
        self.messages = Bucket(messages_per_second, 2 * messages_per_second)
        self.bytes = Bucket(bytes_per_second, 2 * bytes_per_second)

    def delay(self, size: int, now: float) -> float:
        """Seconds to wait before handling a message of ``size`` bytes received at ``now``."""
        return max(self.messages.take(1, now), self.bytes.take(size, now))
