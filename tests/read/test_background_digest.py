"""The file digest is computed in the background; every Source still carries the right one."""

import hashlib

from vigile.read import open_tables


def test_source_sha256_is_the_file_digest_before_and_after_reading(tmp_path):
    p = tmp_path / "export.csv"
    p.write_bytes(b"NOM;PRENOM\n" + b"DUPONT;Marie\n" * 50_000)
    expected = hashlib.sha256(p.read_bytes()).hexdigest()
    [early] = list(open_tables(p))
    assert early.source.sha256 == expected  # waits for the digest when looked at first
    [late] = list(open_tables(p))
    rows = sum(b.height for b in late.batches())
    assert rows == 50_000 and late.source.sha256 == expected and late.source.delimiter == ";"


def test_large_files_are_hashed_in_the_background_small_ones_on_demand(tmp_path, monkeypatch):
    from vigile.read import dispatch

    p = tmp_path / "export.csv"
    p.write_bytes(b"NOM;PRENOM\n" + b"DUPONT;Marie\n" * 1000)
    expected = hashlib.sha256(p.read_bytes()).hexdigest()
    started = []
    real_start = dispatch._Digest.start
    monkeypatch.setattr(
        dispatch._Digest, "start", lambda self: started.append(1) or real_start(self)
    )
    [small] = list(open_tables(p))
    assert small.source.sha256 == expected and not started  # hashed when asked for
    monkeypatch.setattr(dispatch, "BACKGROUND_DIGEST_FROM", 0)
    [large] = list(open_tables(p))
    assert started and large.source.sha256 == expected


def test_unreadable_path_is_still_reported_up_front(tmp_path):
    [err] = list(open_tables(tmp_path / "missing.csv"))
    assert "missing.csv" in str(err)


def test_the_digest_thread_yields_the_cpu_to_parsing_and_detection():
    import os
    import sys
    import threading

    from vigile.read import dispatch

    seen: list[int] = []

    def probe() -> None:
        dispatch._lowest_priority()
        seen.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))

    t = threading.Thread(target=probe)
    t.start()
    t.join()
    if sys.platform.startswith("linux"):
        assert seen == [19]
    assert os.getpriority(os.PRIO_PROCESS, 0) != 19  # the process itself is untouched
