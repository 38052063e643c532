"""One small module per identifier vigile recognises by content (python-stdnum's spirit).

Each module holds the shapes of its identifier as anchored regexes, vectorised polars
expressions over a column of stripped values, and a per-value `is_...` function that
tests (and capped candidates) use as the oracle of the expression.

- `password`: password hashes by format, clear-text passwords by shape;
- `iban`: IBAN structure per country and mod-97 check, vectorised;
- `login`: account identifiers (e-mail-shaped, handles, numeric ids) and whether they
  are built from a person's name.
"""
