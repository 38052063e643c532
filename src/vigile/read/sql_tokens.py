"""A small SQL tokenizer for dumps (MySQL and PostgreSQL dialects). Nothing is executed.

Hand-written: no maintained Python library tokenizes dumps larger than memory with both
dialects' string escapes and PostgreSQL COPY blocks (sqlparse loads whole statements).
Strings are matched by one compiled regex per dialect; the buffer is refilled whenever a
token might continue past its end."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

Dialect = Literal["mysql", "postgres"]

_MYSQL_ESCAPES = {
    "0": "\x00", "b": "\b", "n": "\n", "r": "\r", "t": "\t", "Z": "\x1a",
}  # fmt: skip
_PG_ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}

_TOKEN = {
    "mysql": re.compile(
        r"""(?P<ws>\s+)
        |(?P<comment>--[^\n]*(?:\n|\Z)|\#[^\n]*(?:\n|\Z)|/\*.*?\*/)
        |(?P<str>'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.|"")*")
        |(?P<ident>`(?:[^`]|``)*`)
        |(?P<hex>[xXbB]'[0-9a-fA-F]*'|0x[0-9a-fA-F]+)
        |(?P<num>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)
        |(?P<word>[^\W\d]\w*)
        |(?P<punct>.)""",
        re.S | re.X,
    ),
    "postgres": re.compile(
        r"""(?P<ws>\s+)
        |(?P<comment>--[^\n]*(?:\n|\Z)|/\*.*?\*/)
        |(?P<estr>[eE]'(?:[^'\\]|\\.|'')*')
        |(?P<str>'(?:[^']|'')*')
        |(?P<ident>"(?:[^"]|"")*")
        |(?P<hex>[xXbB]'[0-9a-fA-F]*')
        |(?P<dollar>\$(?:[^\W\d]\w*)?\$)
        |(?P<num>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)
        |(?P<word>[^\W\d][\w$]*)
        |(?P<punct>::|.)""",
        re.S | re.X,
    ),
}
# Starts of tokens that may be incomplete at the end of the buffer.
_OPENERS = re.compile(r"""['"`$]|[eExXbB]'|--|/\*|\#""")
_QUOTES = re.compile(r"""[eE]?'|["`]""")


@dataclass(frozen=True)
class Token:
    kind: str  # str, ident, num, word, punct, hex, null
    value: str  # unescaped for str/ident; upper-case not applied


def unescape_mysql(body: str, quote: str) -> str:
    body = body.replace(quote * 2, quote)
    if "\\" not in body:
        return body
    return re.sub(r"\\(.)", lambda m: _MYSQL_ESCAPES.get(m[1], m[1]), body, flags=re.S)


def unescape_pg_e(body: str) -> str:
    body = body.replace("''", "'")
    if "\\" not in body:
        return body

    def sub(m: re.Match) -> str:
        s = m[1]
        if s[0] in "01234567":
            return chr(int(s, 8) & 0xFF)
        if s[0] == "x":
            return chr(int(s[1:], 16))
        if s[0] in "uU":
            return chr(int(s[1:], 16))
        return _PG_ESCAPES.get(s, s)

    return re.sub(
        r"\\([0-7]{1,3}|x[0-9a-fA-F]{1,2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)", sub, body, flags=re.S
    )


_COPY_ESCAPE = re.compile(r"\\([0-7]{1,3}|x[0-9a-fA-F]{1,2}|.)", re.S)


def unescape_copy(field: str) -> str | None:
    """One field of COPY ... FROM stdin text format; `\\N` is NULL."""
    if field == "\\N":
        return None
    if "\\" not in field:
        return field

    def sub(m: re.Match) -> str:
        s = m[1]
        if s[0] in "01234567":
            return chr(int(s, 8) & 0xFF)
        if s[0] == "x" and len(s) > 1:
            return chr(int(s[1:], 16))
        return _PG_ESCAPES.get(s, s)

    return _COPY_ESCAPE.sub(sub, field)


def copy_fields(line: str) -> list[str | None]:
    return [unescape_copy(f) for f in line.split("\t")]


class SqlTooLong(Exception):
    """A token or COPY line exceeds the size limit."""


class Scanner:
    """Tokens from a stream of text chunks; can switch to raw lines for COPY data.

    PostgreSQL dollar quoting (`$$...$$`, `$tag$...$tag$`) gives one `str` token holding
    the body verbatim. A string still open at the end of the input gives a `str` token
    with the rest of the input, and sets `unterminated`: the dump is truncated or its
    quoting is broken, so what follows the bad quote may have been misread."""

    def __init__(self, chunks: Iterator[str], dialect: Dialect, max_token: int):
        self.chunks = chunks
        self.dialect = dialect
        self.regex = _TOKEN[dialect]
        self.max_token = max_token
        self.buf = ""
        self.pos = 0
        self.eof = False
        self.unterminated = False

    def _refill(self) -> bool:
        if self.eof:
            return False
        nxt = next(self.chunks, None)
        if nxt is None:
            self.eof = True
            return False
        self.buf = self.buf[self.pos :] + nxt
        self.pos = 0
        return True

    def next_token(self) -> Token | None:
        while True:
            if self.pos >= len(self.buf) and not self._refill():
                return None
            m = self.regex.match(self.buf, self.pos)
            assert m is not None  # `punct` matches any character
            kind = m.lastgroup or "punct"
            if kind == "dollar":
                return self._dollar(m.group())
            at_end = m.end() >= len(self.buf)
            opener = kind == "punct" and _OPENERS.match(self.buf, self.pos)
            if opener and m.group() == "$" and self.buf.find("$", self.pos + 1) >= 0:
                opener = None  # `$1`, `a $ b`: a later `$` shows it opens no dollar quote
            if kind in ("str", "estr", "ident") and not at_end:
                # 'ab' directly followed by ' means the regex could not close 'ab''c...:
                # the rest of that string is beyond the buffer (or the input ends in it).
                at_end = self.buf[m.end()] == m.group()[-1]
                if at_end and self.eof:
                    return self._open_at_end(_QUOTES.match(self.buf, self.pos).group())
            if (at_end or opener) and not self.eof:
                if len(self.buf) - self.pos > self.max_token:
                    raise SqlTooLong
                self._refill()
                continue  # match again, with more input or knowing there is none
            if opener and self.eof and (q := _QUOTES.match(self.buf, self.pos)):
                return self._open_at_end(q.group())
            if opener and self.eof and self.buf.startswith("/*", self.pos):
                self.unterminated = True  # a comment hiding the rest of the input
                self.pos = len(self.buf)
                continue
            self.pos = m.end()
            if kind in ("ws", "comment"):
                continue
            text = m.group()
            if kind == "str":
                return Token("str", unescape_mysql(text[1:-1], text[0]) if self.dialect == "mysql"
                             else text[1:-1].replace("''", "'"))  # fmt: skip
            if kind == "estr":
                return Token("str", unescape_pg_e(text[2:-1]))
            if kind == "ident":
                q = text[0]
                return Token("ident", text[1:-1].replace(q * 2, q))
            if kind == "word" and text.upper() == "NULL":
                return Token("null", text)
            return Token(kind, text)

    def _dollar(self, delim: str) -> Token:
        """The dollar-quoted string opened by `delim` at self.pos (refilling as needed)."""
        frm = self.pos + len(delim)
        while (close := self.buf.find(delim, frm)) < 0:
            if len(self.buf) - self.pos > self.max_token:
                raise SqlTooLong
            searched = len(self.buf) - self.pos - len(delim) + 1
            if not self._refill():
                self.unterminated = True
                body, self.pos = self.buf[self.pos + len(delim) :], len(self.buf)
                return Token("str", body)
            frm = max(self.pos + len(delim), searched)
        body = self.buf[self.pos + len(delim) : close]
        self.pos = close + len(delim)
        return Token("str", body)

    def _open_at_end(self, quote: str) -> Token:
        """A quoted string or identifier still open at the end of the input."""
        self.unterminated = True
        body, self.pos = self.buf[self.pos + len(quote) :], len(self.buf)
        if quote == '"' and self.dialect == "postgres":
            return Token("ident", body.replace('""', '"'))
        if quote.startswith(("e", "E")):
            return Token("str", unescape_pg_e(body))
        if self.dialect == "mysql":
            return Token("str", unescape_mysql(body, quote))
        return Token("str", body.replace("''", "'"))

    def read_line(self) -> str | None:
        """The next raw line (without its newline), for COPY data."""
        while True:
            nl = self.buf.find("\n", self.pos)
            if nl >= 0:
                line = self.buf[self.pos : nl]
                self.pos = nl + 1
                return line.removesuffix("\r")
            if len(self.buf) - self.pos > self.max_token:
                raise SqlTooLong
            if not self._refill():
                if self.pos >= len(self.buf):
                    return None
                line = self.buf[self.pos :]
                self.pos = len(self.buf)
                return line
