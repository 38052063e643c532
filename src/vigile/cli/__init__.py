"""vigile's command line: thin typer commands wiring the packages below; no logic of its own."""

from __future__ import annotations

import os
import sys

import typer

from . import (  # noqa: F401 (register the commands)
    case_cmd,
    demo_cmd,
    export_cmd,
    link_cmd,
    notify_cmd,
    notify_cnil_cmd,
    portal_cmd,
    provenance_cmd,
    scan_cmd,
    sweep_cmd,
    synth_cmd,
    triage_cmd,
)
from .app import app, console_err, no_room_line


def main() -> None:
    """Entry point: one clear line on failure, never a traceback full of cell values."""
    try:
        # Without standalone mode click returns the exit code instead of raising it.
        sys.exit(app(standalone_mode=False) or 0)
    except typer.Exit as e:
        sys.exit(e.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        console_err.print("interrupted")
        sys.exit(130)
    except Exception as e:  # noqa: BLE001 - last line of defence
        # typer ships its own click (typer._click): recognise its exceptions by shape.
        if type(e).__name__ == "NoArgsIsHelpError":
            sys.exit(0)  # the help was printed
        if hasattr(e, "show") and hasattr(e, "exit_code"):
            e.show()
            sys.exit(e.exit_code)
        if os.environ.get("VIGILE_DEBUG"):
            raise
        if (line := no_room_line(e)) is not None:  # a full disk, whatever layer wrote
            console_err.print(line, markup=False, highlight=False, soft_wrap=True)
            sys.exit(2)
        # Exception text from data libraries can quote cell contents: show the type only.
        console_err.print(
            f"error: internal failure ({type(e).__name__}); rerun with VIGILE_DEBUG=1 for details"
        )
        sys.exit(1)


__all__ = ["app", "main"]
