"""ReadError, and turning library exceptions into messages that never quote cell values."""

from __future__ import annotations

import lzma
import zlib


class ReadError(Exception):
    """A file, archive member or stream that cannot be read (further).

    `path` is the shown form of the name (`vigile.read.names.shown`). `read` is True for
    the few outcomes where everything was in fact read and there was just nothing to
    scan (an empty file, a dump without data): they are reported, but do not make a
    scan incomplete. `unsupported` is True when the input is in no format vigile reads
    (an image, a PDF, binary data): a scan reports it as not read; a sweep of a share,
    where most files are such, lists it apart."""

    def __init__(self, path: str, message: str, *, read: bool = False, unsupported: bool = False):
        super().__init__(f"{path}: {message}")
        self.path = str(path)
        self.message = message
        self.read = read
        self.unsupported = unsupported

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def safe_message(exc: BaseException) -> str:
    """A description of `exc` that cannot leak data: library messages may quote cell
    contents (polars, json, calamine), so only the exception kind is kept."""
    if isinstance(exc, EOFError):
        return "truncated compressed data"
    if isinstance(exc, zlib.error | lzma.LZMAError):
        return "corrupt compressed data"
    if isinstance(exc, MemoryError):
        return "out of memory"
    if isinstance(exc, UnicodeError):
        return "undecodable text"
    if isinstance(exc, PermissionError):
        return "permission denied"
    if isinstance(exc, FileNotFoundError):
        return "file not found"
    if isinstance(exc, IsADirectoryError):
        return "is a directory"
    if isinstance(exc, OSError):
        return f"I/O error ({exc.errno or type(exc).__name__})"
    if isinstance(exc, RecursionError):
        return "structure nested too deeply"
    if type(exc).__name__ == "BadGzipFile":
        return "corrupt gzip data"
    return f"unreadable ({type(exc).__name__})"


def as_read_error(path: str, exc: BaseException, what: str = "") -> ReadError:
    if isinstance(exc, ReadError):
        return exc
    prefix = f"{what}: " if what else ""
    return ReadError(path, prefix + safe_message(exc))
