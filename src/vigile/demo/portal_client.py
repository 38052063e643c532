"""A person's visit to the portal over HTTP (standard library only): the letter's code,
the page, the attestation, the e-mail opt-in, the no-code form."""

from __future__ import annotations

import html
import re
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar

_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


class PortalClient:
    def __init__(self, base_url: str):
        self.base = base_url.rstrip("/")
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        self.page = ""

    def _get(self, path: str) -> tuple[int, bytes]:
        try:
            with self.opener.open(self.base + path, timeout=30) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def _post(self, path: str, fields: dict) -> tuple[int, str]:
        data = urllib.parse.urlencode({**fields, "csrf": self._csrf()}).encode()
        try:
            with self.opener.open(self.base + path, data=data, timeout=30) as r:
                return r.status, r.read().decode("utf-8")
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode("utf-8", "replace")

    def _csrf(self) -> str:
        m = _CSRF.search(self.page)
        if not m:
            _, body = self._get("/")
            self.page = body.decode("utf-8")
            m = _CSRF.search(self.page)
        return m.group(1) if m else ""

    def enter_code(self, code: str) -> tuple[int, str]:
        status, self.page = self._post("/code", {"code": code})
        return status, html.unescape(self.page)

    def attestation(self) -> tuple[int, bytes]:
        return self._get("/mon-dossier/attestation.pdf")

    def opt_in(self, email: str) -> int:
        status, self.page = self._post("/mon-dossier/courriel", {"email": email})
        return status

    def no_code_request(self, fields: dict) -> int:
        status, body = self._get("/sans-code")
        self.page = body.decode("utf-8")
        status, self.page = self._post("/sans-code", fields)
        return status
