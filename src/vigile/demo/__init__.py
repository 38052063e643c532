"""`vigile demo`: a whole synthetic incident, from the leaked file to the last letter.

It runs the commands a DPO types (printed as it goes), then checks every step against the
generator's ground truth. It sits above `vigile.cli` (it drives the commands) and is used
by the end-to-end tests and the whole-incident benchmark.
"""

from .incident import Check, DemoResult, run_incident

__all__ = ["Check", "DemoResult", "run_incident"]
