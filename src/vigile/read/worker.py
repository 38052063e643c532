"""The isolated reader: a child process that reads one workbook through calamine.

Run as a script (`python -I worker.py '<request json>'`), never imported by the child
as part of vigile: it needs only the standard library and python-calamine, so it starts
in a few milliseconds. Before touching the file it limits itself (address space, CPU
time, no file writes, no core dump): a workbook that makes calamine allocate without
bound ends this process (MemoryError or an abort), not the scan, triage or sweep that
asked for it (`vigile.read.isolate` reports which file and why).

The file arrives as an inherited file descriptor, never as a path. Answers are JSON
lines on stdout:

  {"sheets": [raw names]}                      op "sheets"
  {"header": [cells]} {"cols": [[...], ...]}... op "sheet": header row, then column batches
  {"warn": "..."} {"partial": "..."}          a warning / a "not fully read" reason
  {"error": "kind"}                           a handled failure (no message: it may quote data)
  {"end": true}                               the last line of a complete answer
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys

# Rows per message, and characters: bounded pipe messages (the parent batches them).
SEND_ROWS = 4096
SEND_BYTES = 8 << 20


def cell_text(v: object) -> str | None:
    """Excel stores numbers as floats: 1.23e14 must read back as the 15 digits of a NIR."""
    if v is None or v == "":
        return None
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, float):
        if v.is_integer() and abs(v) < 1e18:
            return str(int(v))
        return repr(v)
    if isinstance(v, dt.datetime):
        return v.isoformat(sep=" ") if v.time() != dt.time(0) else v.date().isoformat()
    if isinstance(v, dt.date | dt.time):
        return v.isoformat()
    return str(v)


def _limit_self(memory: int, seconds: float) -> None:
    try:
        import resource
    except ImportError:  # not POSIX: the parent's time limit still applies
        return
    for what, value in (
        ("RLIMIT_AS", memory),
        ("RLIMIT_CPU", int(seconds) + 5),
        ("RLIMIT_FSIZE", 0),
        ("RLIMIT_CORE", 0),
    ):
        limit = getattr(resource, what, None)
        if limit is None or not value and what in ("RLIMIT_AS", "RLIMIT_CPU"):
            continue
        try:
            resource.setrlimit(limit, (value, value))
        except (ValueError, OSError):
            pass


def _send(obj: dict) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")


def _sheet(wb, req: dict) -> None:
    sheet = wb.get_sheet_by_index(req["index"])
    max_cells = req.get("max_cells") or 0
    width: int | None = None
    cols: list[list[str | None]] = []
    pending = size = 0
    cells = 0
    wide = 0
    for row in sheet.iter_rows():
        texts = [cell_text(v) for v in row]
        if width is None:
            if not any(texts):
                continue
            while texts and texts[-1] is None:
                texts.pop()
            width = len(texts)
            _send({"header": texts})
            cols = [[] for _ in range(width)]
            continue
        if not any(texts):
            continue
        if len(texts) > width:
            extra = [t for t in texts[width:] if t is not None]
            texts = texts[:width]
            if extra:
                # Cells beyond the header are kept, appended to the last column.
                wide += 1
                texts[-1] = "; ".join(t for t in (texts[-1], *extra) if t is not None)
        for i in range(width):
            cols[i].append(texts[i] if i < len(texts) else None)
        pending += 1
        cells += width
        size += sum(len(t) for t in texts if t)
        if pending >= SEND_ROWS or size >= SEND_BYTES:
            _send({"cols": cols})
            cols = [[] for _ in range(width)]
            pending = size = 0
        if max_cells and cells >= max_cells:
            _send({"partial": f"more than {max_cells} cells; the rest of the sheet was not read"})
            break
    if pending:
        _send({"cols": cols})
    if wide:
        _send(
            {
                "warn": f"{wide} row(s) had cells beyond the header; they were appended to the"
                " last column"
            }  # fmt: skip
        )


def main() -> int:
    req = json.loads(sys.argv[1])
    _limit_self(req.get("memory", 0), req.get("seconds", 0))
    try:
        from python_calamine import CalamineWorkbook

        with os.fdopen(req["fd"], "rb") as f:
            wb = CalamineWorkbook.from_filelike(f)
            try:
                if req["op"] == "sheets":
                    _send({"sheets": list(wb.sheet_names)})
                else:
                    _sheet(wb, req)
            finally:
                wb.close()
    except MemoryError:
        _send({"error": "out of memory"})
        return 3
    except Exception as exc:  # the message may quote cell contents: only the kind goes out
        _send({"error": type(exc).__name__})
        return 3
    _send({"end": True})
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
