"""Errors of the provenance registry: one line saying what to do, never a stored value."""


class ProvenanceError(Exception):
    """Registering or tracing cannot proceed."""
