"""In-process rate limits and lockouts (thread-safe; one set per server process).

Per-client counters live in memory, not in the store: they hold client addresses, which
are personal data and have no business in the case. With several worker processes each
has its own counters: divide the limits by the worker count (docs/portal-production.md).
A client is an IPv4 address or an IPv6 /64 (one subscriber's whole network, which hands
out addresses at will), see `client_key`. The hourly bound on no-code requests of all
clients together is counted in the case store (`vigile.case.contacts.count_requests`).
"""

from __future__ import annotations

import ipaddress
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

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


@dataclass
class _Failures:
    first: float
    count: int
    locked_until: float = 0.0


class Lockout:
    """`max_failures` wrong codes within `window` seconds lock the key for `duration` seconds."""

    def __init__(
        self, max_failures: int, window: float, duration: float, clock: Clock = time.monotonic
    ):
        self.max_failures, self.window, self.duration = max_failures, window, duration
        self._clock = clock
        self._state: dict[str, _Failures] = {}
        self._lock = threading.Lock()

    def locked(self, key: str) -> bool:
        with self._lock:
            st = self._state.get(key)
            return st is not None and st.locked_until > self._clock()

    def fail(self, key: str) -> None:
        with self._lock:
            now = self._clock()
            st = self._state.get(key)
            if st is None or now - st.first >= self.window:
                st = self._state[key] = _Failures(now, 0, st.locked_until if st else 0.0)
            st.count += 1
            if st.count >= self.max_failures:
                st.locked_until = now + self.duration
                st.first, st.count = now, 0
            if len(self._state) > _PRUNE_AT:
                self._state = {
                    k: v
                    for k, v in self._state.items()
                    if v.locked_until > now or now - v.first < self.window
                }

    def succeed(self, key: str) -> None:
        """A right code clears the key's failures (not an active lock)."""
        with self._lock:
            st = self._state.get(key)
            if st is not None and st.locked_until <= self._clock():
                del self._state[key]
