"""Run a risky reader in a child process with a memory and a time limit.

`run_worker` starts `worker.py` (see there) on an open file descriptor and yields its
JSON answers. The child limits its own address space (RLIMIT_AS) and CPU time; the
parent bounds the time it waits for each answer (time spent by the consumer between
answers does not count). A child that dies, is killed or stops answering becomes a
`ReadError` naming the file and the reason: one workbook never takes down the scan,
triage or sweep that reads it.
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from vigile.read.errors import ReadError

WORKER = Path(__file__).with_name("worker.py")
READ_CHUNK = 1 << 16
MAX_LINE = 256 << 20  # one answer line (a batch of SEND_ROWS rows) may not exceed this


def _signal_reason(code: int) -> str:
    if code >= 0:
        return f"the isolated reader failed (exit code {code})"
    sig = -code
    if sig == getattr(signal, "SIGXCPU", -1):
        return "the isolated reader exceeded its CPU time limit"
    if sig in (signal.SIGABRT, signal.SIGSEGV, getattr(signal, "SIGBUS", -1)):
        return "the isolated reader crashed (out of memory or malformed file)"
    if sig == signal.SIGKILL:
        return "the isolated reader was killed (out of memory)"
    try:
        name = signal.Signals(sig).name
    except ValueError:
        name = str(sig)
    return f"the isolated reader was stopped by signal {name}"


def run_worker(
    path: Path, request: dict, display: str, memory: int, seconds: float
) -> Iterator[dict]:
    """Answers of the worker for `request` on the file at `path` (opened here, handed
    over as a descriptor). Raises ReadError on a crash, a timeout or an error answer;
    the caller keeps what it received before."""
    with open(path, "rb") as f:
        req = {**request, "fd": f.fileno(), "memory": memory, "seconds": seconds}
        proc = subprocess.Popen(
            [sys.executable, "-I", str(WORKER), json.dumps(req)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,  # a Rust panic prints a backtrace (may quote data)
            pass_fds=(f.fileno(),),
            close_fds=True,
        )
    assert proc.stdout is not None
    out = proc.stdout
    sel = selectors.DefaultSelector()
    sel.register(out, selectors.EVENT_READ)
    buf = bytearray()
    searched = 0  # bytes of buf known to hold no newline
    waited = 0.0
    ended = False
    try:
        while True:
            nl = buf.find(b"\n", searched)
            if nl >= 0:
                msg = json.loads(bytes(buf[:nl]))
                del buf[: nl + 1]
                searched = 0
                if "error" in msg:
                    what = msg["error"]
                    reason = "out of memory" if what == "out of memory" else f"unreadable ({what})"
                    raise ReadError(display, reason)
                if msg.get("end"):
                    ended = True
                    break
                yield msg
                continue
            searched = len(buf)
            if len(buf) > MAX_LINE:
                raise ReadError(display, "the isolated reader sent an oversized answer")
            left = seconds - waited
            if left <= 0:
                raise ReadError(display, f"reading took longer than {seconds:g} s and was stopped")
            t = time.monotonic()
            ready = sel.select(timeout=left)
            waited += time.monotonic() - t
            if not ready:
                continue
            chunk = os.read(out.fileno(), READ_CHUNK)
            if not chunk:
                break
            buf += chunk
        if not ended:
            code = proc.wait(timeout=seconds)
            raise ReadError(display, _signal_reason(code))
    finally:
        sel.close()
        if proc.poll() is None:
            if not ended:
                proc.kill()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        out.close()
