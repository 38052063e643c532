"""Archive members (zip, tar, gzip, bz2, xz) extracted one at a time under the limits.

Members are written only into a private TemporaryDirectory under a generated name
(`m00001.csv`): the names found in the archive are never used as file-system paths, so
path traversal cannot write anywhere. Limits are enforced on the bytes actually produced
while streaming, never on sizes announced by archive headers."""

from __future__ import annotations

import bz2
import gzip
import hashlib
import lzma
import re
import stat
import tarfile
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from vigile.read.errors import ReadError, safe_message
from vigile.read.limits import Budget, Meter
from vigile.read.names import shown

COPY_CHUNK = 1 << 20
STREAM_OPENERS: dict[str, Callable[[BinaryIO], BinaryIO]] = {
    "gzip": lambda f: gzip.GzipFile(fileobj=f, mode="rb"),
    "bz2": lambda f: bz2.BZ2File(f, mode="rb"),
    "xz": lambda f: lzma.LZMAFile(f, mode="rb"),
}
SINGLE_SUFFIX = {"gzip": (".gz", ".gzip"), "bz2": (".bz2",), "xz": (".xz",)}


@dataclass
class Member:
    """An extracted member, or the readable part of one (when `error` is set)."""

    display: str
    file: Path
    sha256: str
    size: int
    tmp: tempfile.TemporaryDirectory
    outer_bytes: int  # top-level archive bytes consumed when it was extracted
    error: ReadError | None = None  # e.g. truncated: the part before the break was kept


class CountingReader:
    """Counts bytes read from an underlying binary file (compressed bytes consumed)."""

    def __init__(self, f: BinaryIO):
        self.f = f
        self.n = 0

    def read(self, size: int = -1) -> bytes:
        b = self.f.read(size)
        self.n += len(b)
        return b

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def close(self) -> None:
        pass


def unsafe_name(name: str) -> str | None:
    """Why an archive member name is refused, or None."""
    n = name.replace("\\", "/")
    if n.startswith("/") or re.match(r"^[A-Za-z]:", n):
        return "absolute path"
    if ".." in PurePosixPath(n).parts:
        return "path traversal"
    if "\x00" in n:
        return "NUL in name"
    return None


def _safe_suffix(name: str) -> str:
    """The member's extensions (kept for format sniffing), reduced to [A-Za-z0-9]."""
    out = ""
    for suffix in PurePosixPath(name.replace("\\", "/")).suffixes[-2:]:
        clean = re.sub(r"[^A-Za-z0-9]", "", suffix)[:8]
        if clean:
            out += "." + clean
    return out


def _extract(
    src: BinaryIO,
    name: str,
    display: str,
    budget: Budget,
    produced_before: int,
    consumed: Callable[[], int],
    meter: Meter | None = None,
) -> tuple[tempfile.TemporaryDirectory, Path, str, int, ReadError | None]:
    """Copy `src` into a fresh temp dir; stops with ReadError on limits. For a stream
    (tar, gzip) `produced_before` and `consumed` count the whole stream, so the ratio is
    over every member so far; a zip passes each member's own counts and its `meter`."""
    tmp = tempfile.TemporaryDirectory(prefix="vigile-")
    out = Path(tmp.name) / f"m{budget.entries:05d}{_safe_suffix(name)}"
    h = hashlib.sha256()
    size = 0
    broken: ReadError | None = None
    with open(out, "wb") as dst:
        while True:
            try:
                chunk = src.read(COPY_CHUNK)
            except (EOFError, OSError, zipfile.BadZipFile, *zlib_errors()) as exc:
                broken = ReadError(display, f"{safe_message(exc)}; the readable part was scanned")
                if isinstance(exc, zipfile.BadZipFile):
                    broken = ReadError(display, "corrupt member (bad CRC or data)")
                break
            if not chunk:
                break
            size += len(chunk)
            h.update(chunk)
            if size > budget.limits.max_member_uncompressed:
                tmp.cleanup()
                raise ReadError(
                    display,
                    "decompression bomb: member larger than"
                    f" {budget.limits.max_member_uncompressed} bytes, stopped",
                )
            try:
                budget.add_bytes(display, len(chunk), produced_before + size, consumed(), meter)
            except ReadError:
                tmp.cleanup()
                raise
            dst.write(chunk)
    return tmp, out, h.hexdigest(), size, broken


def zlib_errors() -> tuple[type[BaseException], ...]:
    return (zlib.error, lzma.LZMAError)


def zip_members(path: Path, display: str, budget: Budget) -> Iterator[Member | ReadError]:
    try:
        zf = zipfile.ZipFile(path)
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        yield ReadError(display, f"corrupt or truncated zip ({type(exc).__name__})")
        return
    meter = Meter()
    with zf:
        for info in infos:
            if info.is_dir():
                continue
            mdisplay = f"{display}!{shown(info.filename)}"
            budget.add_entry(mdisplay)
            why = unsafe_name(info.filename)
            if why:
                yield ReadError(mdisplay, f"unsafe member name ({why}), not extracted")
                continue
            ftype = stat.S_IFMT(info.external_attr >> 16) if info.create_system == 3 else 0
            if ftype and ftype not in (stat.S_IFREG, stat.S_IFDIR):
                yield ReadError(mdisplay, "link or special file entry, not extracted")
                continue
            if info.flag_bits & 0x1:
                yield ReadError(mdisplay, "encrypted entry, not scanned")
                continue
            try:
                src = zf.open(info)
            except (zipfile.BadZipFile, NotImplementedError, OSError, ValueError, EOFError) as exc:
                yield ReadError(mdisplay, f"unreadable zip entry ({type(exc).__name__})")
                continue
            with src:

                def consumed(s=src, i=info) -> int:
                    return i.compress_size - getattr(s, "_compress_left", 0)

                try:
                    tmp, out, sha, size, broken = _extract(
                        src, info.filename, mdisplay, budget, 0, consumed, meter
                    )
                except ReadError as exc:
                    yield exc
                    if "total uncompressed" in exc.message or "archive's members" in exc.message:
                        return
                    continue
                meter.close_member(size, consumed())
            if broken:
                yield broken
            yield Member(mdisplay, out, sha, size, tmp, info.header_offset + info.compress_size)


def tar_members(
    raw: BinaryIO, display: str, budget: Budget, compression: str = "*"
) -> Iterator[Member | ReadError]:
    counter = CountingReader(raw)
    produced = 0
    try:
        tf = tarfile.open(fileobj=counter, mode=f"r|{compression}")  # noqa: SIM115
    except (tarfile.TarError, OSError, EOFError) as exc:
        yield ReadError(display, f"corrupt or truncated tar ({safe_message(exc)})")
        return
    try:
        for info in tf:
            mdisplay = f"{display}!{shown(info.name)}"
            if info.isdir():
                continue
            budget.add_entry(mdisplay)
            why = unsafe_name(info.name)
            if why:
                yield ReadError(mdisplay, f"unsafe member name ({why}), not extracted")
                continue
            if info.issym() or info.islnk():
                yield ReadError(mdisplay, "symbolic or hard link entry, not extracted")
                continue
            if not info.isfile():
                yield ReadError(mdisplay, "device or special file entry, not extracted")
                continue
            src = tf.extractfile(info)
            if src is None:
                continue
            try:
                tmp, out, sha, size, broken = _extract(
                    src, info.name, mdisplay, budget, produced, lambda: counter.n
                )
            except ReadError as exc:
                yield exc
                return  # a stream cannot skip safely past a bomb
            produced += size
            if broken:
                yield broken
            yield Member(mdisplay, out, sha, size, tmp, counter.n)
            if broken:
                return
    except (tarfile.TarError, OSError, EOFError, zipfile.BadZipFile) + zlib_errors() as exc:
        yield ReadError(display, f"corrupt or truncated tar ({safe_message(exc)})")
    finally:
        tf.close()


def single_member(
    raw: BinaryIO, fmt: str, display: str, budget: Budget
) -> Iterator[Member | ReadError]:
    """gzip / bz2 / xz of one file; a compressed tar is handed to `tar_members`."""
    counter = CountingReader(raw)
    stream = STREAM_OPENERS[fmt](counter)
    try:
        head = stream.read(512)
    except (EOFError, OSError) + zlib_errors() as exc:
        yield ReadError(display, safe_message(exc))
        return
    if head[257:262] == b"ustar":
        raw.seek(0)
        yield from tar_members(raw, display, budget, {"gzip": "gz"}.get(fmt, fmt))
        return
    name = PurePosixPath(display.rsplit("!", 1)[-1]).name
    for suffix in SINGLE_SUFFIX[fmt]:
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
            break
    name = name or "data"
    mdisplay = f"{display}!{shown(name)}"
    budget.add_entry(mdisplay)

    class _Prefixed:
        def __init__(self) -> None:
            self.head = head

        def read(self, n: int) -> bytes:
            if self.head:
                b, self.head = self.head, b""
                return b
            return stream.read(n)

    try:
        tmp, out, sha, size, broken = _extract(
            _Prefixed(), name, mdisplay, budget, 0, lambda: counter.n
        )
    except ReadError as exc:
        yield exc
        return
    if broken:
        yield broken
    yield Member(mdisplay, out, sha, size, tmp, counter.n)
