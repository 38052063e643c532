"""One small module per identifier vigile recognises by content (python-stdnum's spirit).

Each module holds the shapes of its identifier as anchored regexes, vectorised polars
expressions over a column of stripped values, and a per-value `is_...` function that
tests (and capped candidates) use as the oracle of the expression.

Each also holds its thresholds (the shares of a column's cells that content alone, or
content with a header, needs), its header hints where it has its own, and its mask.

- `nir`: social security number, its key (mod 97, 2A/2B), body and key split in two;
- `rpps`: health professionals' RPPS (Luhn), ADELI by header;
- `finess`: establishments' FINESS (département prefix, Luhn);
- `luhn`: the Luhn check as integer arithmetic (RPPS, FINESS, SIREN/SIRET);
- `phone`: French numbers by shape, foreign ones by `phonenumbers`;
- `email`: e-mail addresses;
- `ip`: IPv4 and IPv6 addresses;
- `iban`: IBAN structure per country and mod-97 check, vectorised;
- `password`: password hashes by format, clear-text passwords by shape;
- `login`: account identifiers (e-mail-shaped, handles, numeric ids) and whether they
  are built from a person's name.
"""
