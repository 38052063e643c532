"""Progress bars show file names escaped and masked, never read as rich markup."""

from __future__ import annotations

import io

from rich.console import Console

from vigile.cli import progress


def test_byte_progress_name_with_markup_and_value(monkeypatch):
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=200)
    monkeypatch.setattr(progress, "console_err", console)
    nir = "1850578006084"  # synthetic, valid key
    name = f"/leaks/[bold]fuite[/x]_{nir}.csv"
    with progress.byte_progress() as update:
        update(name, 10, 100)  # used to raise MarkupError on "[/x]"
    shown = out.getvalue()
    assert "[/x]" in shown  # printed as text, not interpreted
    assert nir not in shown  # a personal value in a file name is masked
