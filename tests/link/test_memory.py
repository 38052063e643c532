"""The memory budget reads container limits (cgroup v1 and v2), not only the machine's."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from vigile.link import memory
from vigile.link.memory import cgroup_headroom
from vigile.link.probabilistic import default_memory_limit

GiB = 2**30


def _write(d: Path, **files: str) -> None:
    d.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (d / name.replace("__", ".")).write_text(text)


def _v2(tmp_path: Path, leaf_max: str, parent_max: str = "max") -> tuple[Path, Path]:
    root = tmp_path / "cg"
    _write(root, cgroup__controllers="memory cpu")
    _write(root / "job", memory__max=parent_max, memory__current=str(GiB))
    _write(
        root / "job" / "step",
        memory__max=leaf_max,
        memory__current=str(3 * GiB),
        memory__stat=f"anon 1\ninactive_file {GiB}\nactive_file 5\n",
    )
    proc = tmp_path / "cgroup"
    proc.write_text("0::/job/step\n")
    return proc, root


def test_v2_limit_minus_usage_not_counting_inactive_cache(tmp_path):
    proc, root = _v2(tmp_path, str(8 * GiB))
    # 8 GiB - (3 GiB used - 1 GiB reclaimable cache)
    assert cgroup_headroom(proc, root) == 6 * GiB


def test_v2_an_ancestors_limit_applies(tmp_path):
    proc, root = _v2(tmp_path, "max", parent_max=str(2 * GiB))
    assert cgroup_headroom(proc, root) == 1 * GiB  # 2 GiB - 1 GiB used by the job


def test_v2_no_limit(tmp_path):
    proc, root = _v2(tmp_path, "max")
    assert cgroup_headroom(proc, root) is None


def test_v1_limit_and_the_unlimited_sentinel(tmp_path):
    root = tmp_path / "cg"
    leaf = root / "memory" / "docker" / "abc"
    _write(root / "memory", memory__limit_in_bytes="9223372036854771712")
    _write(
        leaf,
        memory__limit_in_bytes=str(4 * GiB),
        memory__usage_in_bytes=str(GiB),
        memory__stat="cache 9\ntotal_inactive_file 0\n",
    )
    proc = tmp_path / "cgroup"
    proc.write_text("5:cpu,cpuacct:/docker/abc\n4:memory:/docker/abc\n0::/docker/abc\n")
    assert cgroup_headroom(proc, root) == 3 * GiB
    (leaf / "memory.limit_in_bytes").write_text("9223372036854771712\n")
    assert cgroup_headroom(proc, root) is None


def test_cgroup_namespace_reads_the_mount_itself(tmp_path):
    """In a container with its own cgroup namespace, /proc says a path the mount lacks."""
    root = tmp_path / "cg"
    _write(root, cgroup__controllers="memory", memory__max=str(2 * GiB), memory__current="0")
    proc = tmp_path / "cgroup"
    proc.write_text("0::/../../kubepods/pod1\n")
    assert cgroup_headroom(proc, root) == 2 * GiB


def test_nothing_readable_is_no_limit(tmp_path):
    assert cgroup_headroom(tmp_path / "absent", tmp_path) is None
    proc = tmp_path / "cgroup"
    proc.write_text("garbage without colons\n")
    assert cgroup_headroom(proc, tmp_path) is None


@settings(max_examples=60, deadline=None)
@given(
    proc_text=st.text(max_size=80),
    max_text=st.text(max_size=20),
    current_text=st.text(max_size=20),
)
def test_malformed_files_never_raise(tmp_path_factory, proc_text, max_text, current_text):
    root = tmp_path_factory.mktemp("cg")
    _write(root, cgroup__controllers="memory", memory__max=max_text, memory__current=current_text)
    proc = root / "proc_cgroup"
    proc.write_text(proc_text)
    got = cgroup_headroom(proc, root)
    assert got is None or got >= 0


def test_non_ascii_digits_are_no_limit(tmp_path):
    """Regression: "²".isdigit() is True but int("²") raises."""
    root = tmp_path / "cg"
    _write(root, cgroup__controllers="memory", memory__max="²", memory__current="0")
    proc = tmp_path / "cgroup"
    proc.write_text("0::/\n")
    assert cgroup_headroom(proc, root) is None


def test_available_is_the_machines_capped_by_the_container(monkeypatch):
    import psutil

    monkeypatch.setattr(memory, "cgroup_headroom", lambda: 2 * 2**20)
    assert memory.available_bytes() == 2 * 2**20
    monkeypatch.setattr(memory, "cgroup_headroom", lambda: None)
    machine = psutil.virtual_memory().available
    assert abs(memory.available_bytes() - machine) < 512 * 2**20


def test_default_duckdb_limit_is_half_the_room(monkeypatch):
    monkeypatch.setattr(memory, "available_bytes", lambda: 6 * GiB)
    assert default_memory_limit() == "3072MiB"
    monkeypatch.setattr(memory, "available_bytes", lambda: 512 * 2**20)
    assert default_memory_limit() == "1024MiB"  # never under 1 GiB
