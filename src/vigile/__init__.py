"""vigile — find, triage and notify leaks of French health data."""

__version__ = "0.1.0"
