"""The `vigile.triage/1` JSON report."""

from __future__ import annotations

import json

from .model import TriageResult


def render_json(result: TriageResult) -> str:
    return json.dumps(result.to_json(), indent=2, ensure_ascii=False) + "\n"
