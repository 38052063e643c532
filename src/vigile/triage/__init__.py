"""`vigile triage`: what a leaked file holds, how severe it is, what the law requires.

result = triage_path(["leak.csv"], circumstances=Circumstances(malicious=True))
html = render(result, "html")   # or "json" (schema vigile.triage/1), "markdown"
"""

from .api import ProgressFn, triage_frame, triage_path
from .duties import Duty
from .enisa import CNIL_GRAVITE, Circumstances, Severity, assess
from .model import TRIAGE_SCHEMA, TriageResult, suppress
from .render import FORMATS, render

__all__ = [
    "CNIL_GRAVITE",
    "FORMATS",
    "TRIAGE_SCHEMA",
    "Circumstances",
    "Duty",
    "ProgressFn",
    "Severity",
    "TriageResult",
    "assess",
    "render",
    "suppress",
    "triage_frame",
    "triage_path",
]
