"""Who a client is, and the in-process load shedding (thread-safe; one set per process).

A client is an IPv4 address or an IPv6 /64 (one subscriber's whole network, which hands
out addresses at will), see `client_key`. The limits that bound guessing and no-code
requests (wrong codes per client and in total, no-code requests per client and per
hour) are counted in the case store (`vigile.case.Throttle`), under a keyed pseudonym
of the client: shared by every worker, kept across restarts. What stays here in memory
only sheds load (requests per second in total, per minute per client): with several
workers each has its own share (docs/portal-production.md).
"""

from __future__ import annotations

import ipaddress
import threading
import time
from collections.abc import Callable

Clock = Callable[[], float]
_PRUNE_AT = 100_000  # entries before expired ones are swept


def client_key(host: str | None) -> str:
    """The key per-client limits count under: an IPv4 address, or the /64 network of an
    IPv6 address (an IPv4-mapped IPv6 address counts as its IPv4). Anything else (no
    address, a test client's name) is kept as it is."""
    if not host:
        return "?"
    try:
        ip = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return host[:100]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((int(ip) >> 64 << 64, 64)))
    return str(ip)


class TokenBucket:
    """`rate` tokens per second, at most `burst` saved up."""

    def __init__(self, rate: float, burst: float, clock: Clock = time.monotonic):
        self.rate, self.burst, self._clock = rate, burst, clock
        self._tokens, self._at = burst, clock()
        self._lock = threading.Lock()

    def allow(self) -> bool:
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
            self._at = now
            if self._tokens >= 1:
                self._tokens -= 1
                return True
            return False


class WindowCounter:
    """At most `limit` events per key in each fixed window of `window` seconds."""

    def __init__(self, limit: int, window: float, clock: Clock = time.monotonic):
        self.limit, self.window, self._clock = limit, window, clock
        self._counts: dict[str, tuple[float, int]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> bool:
        """Count one event; False once the key is over its limit for this window."""
        with self._lock:
            now = self._clock()
            start, n = self._counts.get(key, (now, 0))
            if now - start >= self.window:
                start, n = now, 0
            self._counts[key] = (start, n + 1)
            if len(self._counts) > _PRUNE_AT:
                self._counts = {k: v for k, v in self._counts.items() if now - v[0] < self.window}
            return n + 1 <= self.limit

    def exhausted(self, key: str) -> bool:
        """True if the key has used its whole limit in the current window (counts nothing)."""
        with self._lock:
            start, n = self._counts.get(key, (0.0, 0))
            return n >= self.limit and self._clock() - start < self.window
