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


def test_unreadable_path_is_still_reported_up_front(tmp_path):
    [err] = list(open_tables(tmp_path / "missing.csv"))
    assert "missing.csv" in str(err)
