"""Portal settings: limits, cookie security and who answers the public."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PortalConfig:
    # Every request, all clients together (token bucket): protects the store and the KDF.
    global_rate: float = 1_500.0
    global_burst: int = 3_000
    # Every request of one client address per minute.
    client_requests_per_minute: int = 120
    # Wrong codes: per client, then locked out (counted in the store, shared by workers).
    max_code_failures: int = 5
    failure_window_s: float = 15 * 60
    lockout_s: float = 60 * 60
    # Wrong codes from all clients together per hour: past it the portal is under a flood
    # and each client is locked at its first wrong code (a right code still gets in).
    global_code_failures_per_hour: int = 5_000
    # No-code identity requests per client (IPv4 address / IPv6 /64) per day (in the store).
    identity_requests_per_day: int = 5
    # No-code requests of all clients together in the last hour, counted in the case store
    # (shared by every worker process). Past either bound the answer page is unchanged and
    # nothing is queued.
    no_code_requests_per_hour: int = 1_000
    # Minutes a person's page stays open after the code was entered.
    session_minutes: int = 15
    # Send HSTS and Secure cookies even if the proxy did not say https.
    force_https: bool = False
    hsts_max_age: int = 63_072_000  # two years
