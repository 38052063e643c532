"""vigile.protect: safe exports (minimise, pseudonymise, encrypt, sign). The sweep of file
shares for stray exports is a scan: `vigile.scan.sweep`.

text = plan_export("sqlite:///lab.db")                      # proposed YAML profile
manifest = run_export(src, load_profile(p), [age_pub], out, signing_key, secret)
verify_export(out).ok ; open_export(out, "recipient.key", "clear/")
"""

from vigile.protect.errors import ProtectError
from vigile.protect.export import Verification, open_export, run_export, verify_export
from vigile.protect.plan import plan_export
from vigile.protect.profile import (
    ColumnRule,
    ExportProfile,
    TableProfile,
    load_profile,
    parse_profile,
)
from vigile.protect.pseudonym import Pseudonymiser, read_secret, write_secret
from vigile.protect.signing import load_private, load_public, write_signing_key

__all__ = [
    "ColumnRule",
    "ExportProfile",
    "ProtectError",
    "Pseudonymiser",
    "TableProfile",
    "Verification",
    "load_private",
    "load_profile",
    "load_public",
    "open_export",
    "parse_profile",
    "plan_export",
    "read_secret",
    "run_export",
    "verify_export",
    "write_secret",
    "write_signing_key",
]
