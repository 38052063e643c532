"""Streaming transcoding of raw bytes to valid UTF-8 (polars only reads UTF-8)."""

from __future__ import annotations

import codecs
from collections.abc import Callable, Iterator
from typing import BinaryIO

CHUNK = 16 << 20


def _cp1252_fallback(exc: UnicodeError) -> tuple[str, int]:
    # Invalid UTF-8 bytes in a mostly UTF-8 file are nearly always cp1252 lines pasted in
    # (mixed-encoding exports); decoding just those bytes as cp1252 keeps the accents.
    assert isinstance(exc, UnicodeDecodeError)
    bad = exc.object[exc.start : exc.end]
    return bad.decode("cp1252", errors="vigile-latin1"), exc.end


def _latin1_fallback(exc: UnicodeError) -> tuple[str, int]:
    # The five bytes cp1252 leaves undefined map to their latin-1 control characters.
    assert isinstance(exc, UnicodeDecodeError)
    return exc.object[exc.start : exc.end].decode("latin-1"), exc.end


codecs.register_error("vigile-latin1", _latin1_fallback)
codecs.register_error("vigile-cp1252", _cp1252_fallback)


def _incomplete_utf8_tail(b: bytes) -> int:
    """Length of a trailing, incomplete UTF-8 sequence (0 to 3 bytes)."""
    n = len(b)
    i = n - 1
    while i >= 0 and n - i < 4 and (b[i] & 0xC0) == 0x80:
        i -= 1
    if i < 0:
        return 0
    lead = b[i]
    need = 2 if lead >= 0xC0 else 1
    if lead >= 0xE0:
        need = 3
    if lead >= 0xF0:
        need = 4
    return n - i if n - i < need else 0


class Utf8Reader:
    """Reads `raw` in chunks and yields valid UTF-8 bytes; counts raw bytes consumed.

    `replaced` counts chunks that needed a fallback decoding (mixed encodings)."""

    def __init__(
        self,
        raw: BinaryIO,
        encoding: str,
        on_bytes: Callable[[int], None] | None = None,
        chunk: int = CHUNK,
        validate: bool = True,
    ):
        self.raw = raw
        self.encoding = encoding
        self.on_bytes = on_bytes
        self.chunk = chunk
        # validate=False: UTF-8 chunks are passed through unchecked; the caller must then
        # handle invalid bytes itself (fix_utf8), which is cheaper when it rarely happens.
        self.validate = validate
        self.fallback_chunks = 0

    def __iter__(self) -> Iterator[bytes]:
        enc = self.encoding
        first = True
        carry = b""
        decoder = None
        if enc.startswith("utf-16"):
            decoder = codecs.getincrementaldecoder(enc)(errors="replace")
        while True:
            block = self.raw.read(self.chunk)
            if self.on_bytes and block:
                self.on_bytes(len(block))
            final = not block
            if decoder is not None:
                text = decoder.decode(block, final=final)
                if text:
                    yield text.encode("utf-8")
            elif enc in ("utf-8", "utf-8-sig"):
                data = carry + block
                if first and enc == "utf-8-sig" and data.startswith(codecs.BOM_UTF8):
                    data = data[3:]
                first = False
                cut = 0 if final else _incomplete_utf8_tail(data)
                if cut:
                    data, carry = data[:-cut], data[-cut:]
                else:
                    carry = b""
                if data and not self.validate:
                    yield data
                elif data:
                    try:
                        data.decode("utf-8")
                        yield data
                    except UnicodeDecodeError:
                        self.fallback_chunks += 1
                        yield fix_utf8(data)
            elif block:
                yield block.decode(enc, errors="vigile-latin1").encode("utf-8")
            if final:
                return


def fix_utf8(data: bytes) -> bytes:
    """Valid UTF-8 from mostly-UTF-8 bytes: invalid sequences are read as cp1252."""
    return data.decode("utf-8", errors="vigile-cp1252").encode("utf-8")
