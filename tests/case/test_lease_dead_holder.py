"""A run SIGKILLed on this host leaves a lease its successor takes over at once; a live
holder, or one on another host, still keeps it until it expires."""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import socket
from datetime import datetime

import pytest

from vigile.case import open_store
from vigile.case.leases import BusyError, holder_is_dead

DISCOVERED = datetime(2021, 2, 23, 9, 0)


def _take_and_hang(url: str, key: bytes, iid: int, ready) -> None:
    with open_store(url, key=key) as store, store.lease(iid, "letters", ttl=3600):
        ready.set()
        signal.pause()


def test_lease_of_a_killed_run_is_taken_over_at_once(sqlite_url, key):
    with open_store(sqlite_url, key=key) as store:
        iid = store.new_incident("x", DISCOVERED)
    ctx = mp.get_context("spawn")
    ready = ctx.Event()
    child = ctx.Process(target=_take_and_hang, args=(sqlite_url, key, iid, ready))
    child.start()
    assert ready.wait(60)
    with open_store(sqlite_url, key=key) as store:
        with pytest.raises(BusyError), store.lease(iid, "letters", ttl=3600):
            pass  # the holder is alive: wait
        os.kill(child.pid, signal.SIGKILL)
        child.join()
        with store.lease(iid, "letters", ttl=3600):  # no hour-long wait
            pass


def test_holder_is_dead_only_when_sure():
    here = socket.gethostname()
    assert not holder_is_dead(f"u@{here}:{os.getpid()}")  # alive
    assert not holder_is_dead(f"u@another-host-{here}:999999")  # elsewhere: cannot tell
    assert not holder_is_dead(f"u@{here}:notapid")
    assert not holder_is_dead(f"u@{here}:1")  # init: alive (or not ours to ask)
    assert holder_is_dead(f"u@{here}:{2**22 + 12345}")  # above pid_max: no such process
