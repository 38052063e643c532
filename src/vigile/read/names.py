"""Column names that are unique and non-empty."""

from __future__ import annotations

from collections.abc import Iterable


def unique_names(raw: Iterable[object]) -> list[str]:
    """Blank names become `column_<position>`; repeats get `_2`, `_3`... suffixes."""
    out: list[str] = []
    seen: set[str] = set()
    for i, name in enumerate(raw, start=1):
        base = str(name).strip() if name is not None else ""
        base = base or f"column_{i}"
        candidate, n = base, 1
        while candidate in seen:
            n += 1
            candidate = f"{base}_{n}"
        seen.add(candidate)
        out.append(candidate)
    return out


def positional_names(n: int) -> list[str]:
    return [f"column_{i}" for i in range(1, n + 1)]
