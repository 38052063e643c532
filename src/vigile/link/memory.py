"""How much memory this process may still take: the machine's available memory, or less
when a cgroup (a container, a systemd slice, a batch scheduler's job) limits it.

psutil reports the machine's memory, not a container's limit: a link in a 8 GB container
on a 64 GB host would size DuckDB's buffers from 64 GB and be killed by the kernel. The
cgroup files are read here by hand (no dependency of vigile reads them): v2
(`memory.max`, `memory.current`) and v1 (`memory.limit_in_bytes`, `memory.usage_in_bytes`),
at the process's cgroup and each ancestor up to the mount, since every limit on the way
applies. As `docker stats` does, reclaimable page cache (inactive file pages) is not
counted as used. Anything unreadable or malformed is no limit, never an error.
"""

from __future__ import annotations

from pathlib import Path

# cgroup v1 writes "no limit" as a huge page-aligned number (2^63 - 4096 on x86-64).
_NO_LIMIT = 2**62


def _number(path: Path) -> int | None:
    try:
        text = path.read_text().strip()
    except (OSError, UnicodeDecodeError):
        return None
    # "max" (v2: no limit) or garbage; isascii: "²".isdigit() is True, int("²") fails
    return int(text) if text.isascii() and text.isdigit() else None


def _inactive_file(path: Path, key: str) -> int:
    try:
        for line in path.read_text().splitlines():
            name, _, value = line.partition(" ")
            if name == key and value.strip().isascii() and value.strip().isdigit():
                return int(value)
    except (OSError, UnicodeDecodeError):
        pass
    return 0


def _headroom(directory: Path, v2: bool) -> int | None:
    """limit - (usage - inactive file pages) of one cgroup directory, None if unlimited."""
    if v2:
        limit = _number(directory / "memory.max")
        usage = _number(directory / "memory.current")
        cache = _inactive_file(directory / "memory.stat", "inactive_file")
    else:
        limit = _number(directory / "memory.limit_in_bytes")
        usage = _number(directory / "memory.usage_in_bytes")
        cache = _inactive_file(directory / "memory.stat", "total_inactive_file")
    if limit is None or limit >= _NO_LIMIT:
        return None
    used = max(0, (usage or 0) - cache)
    return max(0, limit - used)


def _cgroup_dirs(proc_cgroup: str, root: Path) -> list[tuple[Path, bool]]:
    """(directory, is v2) of the memory cgroup and its ancestors, leaf first."""
    for line in proc_cgroup.splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        ident, controllers, rel = parts
        if ident == "0" and controllers == "" and (root / "cgroup.controllers").exists():
            mount, v2 = root, True  # unified hierarchy mounted at the root
        elif "memory" in controllers.split(","):
            mount, v2 = root / "memory", False
        else:
            continue
        rel_parts = [p for p in rel.strip().split("/") if p and p not in (".", "..")]
        leaf = mount.joinpath(*rel_parts)
        if not leaf.is_dir():  # a cgroup namespace: our cgroup is the mount itself
            return [(mount, v2)]
        out = [leaf, *leaf.parents]
        return [(d, v2) for d in out[: out.index(mount) + 1]] if mount in out else [(leaf, v2)]
    return []


def cgroup_headroom(
    proc_cgroup: Path = Path("/proc/self/cgroup"), root: Path = Path("/sys/fs/cgroup")
) -> int | None:
    """Bytes this process's memory cgroups still allow (the smallest along the path), or
    None when no cgroup limits memory (or the files cannot be read)."""
    try:
        text = proc_cgroup.read_text()
    except (OSError, UnicodeDecodeError):
        return None
    rooms = [h for d, v2 in _cgroup_dirs(text, root) if (h := _headroom(d, v2)) is not None]
    return min(rooms) if rooms else None


def available_bytes() -> int:
    """Memory available to this process now: the machine's, capped by its cgroups."""
    import psutil

    machine = psutil.virtual_memory().available
    room = cgroup_headroom()
    return machine if room is None else min(machine, room)
