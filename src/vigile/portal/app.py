"""The FastAPI application: server-rendered French pages, no script, nothing said to strangers."""

from __future__ import annotations

import logging
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from ..case import PARIS, AffectedPerson, CaseStore, CodeLimits, Throttle
from ..case import contacts as case_contacts
from ..case.clock import utcnow
from ..case.codes import find_person, normalize_code, store_subkey
from ..case.throttle import NO_CODE
from ..wording import describe
from . import attestation
from .config import PortalConfig
from .limits import TokenBucket, WindowCounter, client_key
from .security import BASE_HEADERS, CSRF_COOKIE, SESSION_COOKIE, Csrf, SessionSealer

HERE = Path(__file__).parent
access_log = logging.getLogger("vigile.portal.access")
limits_log = logging.getLogger("vigile.portal.limits")
_MONTHS = "janvier février mars avril mai juin juillet août septembre octobre novembre décembre"


def _french_date(d: date) -> str:
    return f"{d.day} {_MONTHS.split()[d.month - 1]} {d.year}"


def _birth_date_fr(value: str) -> str:
    try:
        return date.fromisoformat(value).strftime("%d/%m/%Y")
    except (TypeError, ValueError):
        return value or ""


class Portal:
    """Per-process state: the store, the incident, keys derived from the store key, limits.

    The limits that bound guessing and no-code requests are kept in the store (`Throttle`):
    every worker process sees the same counts, and a restart forgets nothing. Only the
    load-shedding limits (requests per second of all clients, requests per minute of one
    client) are counted in memory, per process."""

    def __init__(
        self,
        store: CaseStore,
        incident_id: int,
        config: PortalConfig | None = None,
        signing_key: Ed25519PrivateKey | None = None,
    ):
        self.store = store
        self.incident = store.incident_by_id(incident_id)
        self.config = cfg = config or PortalConfig()
        self.csrf = Csrf(store_subkey(store, b"vigile.portal/csrf/v1"))
        self.sessions = SessionSealer(
            store_subkey(store, b"vigile.portal/session/v1"), cfg.session_minutes
        )
        # Without a key file the signing key is derived from the store key: stable per case.
        self.signing_key = signing_key or attestation.key_from_seed(
            store_subkey(store, b"vigile.portal/attestation-ed25519/v1")
        )
        self.global_bucket = TokenBucket(cfg.global_rate, cfg.global_burst)
        self.client_requests = WindowCounter(cfg.client_requests_per_minute, 60)
        self.throttle = Throttle(
            store,
            incident_id,
            CodeLimits(
                max_failures=cfg.max_code_failures,
                window_s=cfg.failure_window_s,
                lockout_s=cfg.lockout_s,
                global_limit=cfg.global_code_failures_per_hour,
                global_window_s=3600,
            ),
        )

    def page_context(self) -> dict:
        inc = self.incident
        return {
            "controller": inc.controller or "Le responsable du traitement",
            "dpo_contact": inc.dpo_contact or "voir le courrier reçu",
            "discovered": _french_date(inc.discovered.astimezone(PARIS).date()),
        }

    def person(self, person_ref: str, purpose: str) -> AffectedPerson | None:
        """The person's exposure record (the read is audited as `purpose`)."""
        return self.store.exposure(self.incident.id, person_ref, purpose)

    def no_code_allowed(self, client: str) -> bool:
        """Whether a no-code request may be queued now: the client's own daily bound and the
        hourly bound of all clients together (both counted in the store)."""
        cfg = self.config
        if not self.throttle.allow(NO_CODE, client, cfg.identity_requests_per_day, 86_400):
            limits_log.warning("no-code request not queued: per-client bound reached")
            return False
        since = utcnow() - timedelta(hours=1)
        recent = case_contacts.count_requests(self.store, self.incident.id, since)
        if recent >= self.config.no_code_requests_per_hour:
            limits_log.warning("no-code request not queued: hourly bound of all clients reached")
            return False
        return True


class Guard:
    """Pure ASGI middleware: global and per-client limits, security headers, a request log
    without personal data (method, route, status, duration: no address, no query, no body)."""

    def __init__(self, app, portal: Portal):
        self.app, self.portal = app, portal

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        t0 = time.perf_counter()
        cfg = self.portal.config
        https = scope.get("scheme") == "https" or cfg.force_https
        extra = [(b"strict-transport-security", f"max-age={cfg.hsts_max_age}".encode())]
        headers = BASE_HEADERS + tuple(extra if https else ())
        status = [0]

        async def send_secured(message):
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                message["headers"] = list(message.get("headers", [])) + list(headers)
            await send(message)

        client = client_key((scope.get("client") or ("?", 0))[0])
        if not self.portal.global_bucket.allow():
            await _plain(
                send_secured, 503, "Service très demandé\u00a0: réessayez dans un instant."
            )
        elif not self.portal.client_requests.hit(client):
            await _plain(send_secured, 429, "Trop de demandes\u00a0: réessayez dans une minute.")
        else:
            await self.app(scope, receive, send_secured)
        ms = (time.perf_counter() - t0) * 1000
        route = scope.get("route")
        path = route.path if route is not None else "<other>"
        access_log.info("%s %s %d %.1fms", scope["method"], path, status[0], ms)


async def _plain(send, status: int, text: str) -> None:
    body = (
        '<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Service</title>'
        f"</head><body><main><p>{text}</p></main></body></html>"
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/html; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                (b"retry-after", b"60"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def create_app(portal: Portal) -> FastAPI:
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    templates = Jinja2Templates(directory=HERE / "templates")
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    cfg = portal.config
    iid = portal.incident.id

    def secure(request: Request) -> bool:
        return request.url.scheme == "https" or cfg.force_https

    def csrf_cookie(request: Request) -> tuple[str, bool]:
        """(cookie value, is new): a form page reuses the visitor's cookie or makes one."""
        value = request.cookies.get(CSRF_COOKIE)
        if value and 20 <= len(value) <= 100:
            return value, False
        return Csrf.new_cookie(), True

    def render(request: Request, name: str, title: str, status: int = 200, **extra) -> HTMLResponse:
        cookie, new = csrf_cookie(request)
        ctx = portal.page_context() | {"title": title, "csrf": portal.csrf.token_for(cookie)}
        resp = templates.TemplateResponse(request, name, ctx | extra, status_code=status)
        if new:
            resp.set_cookie(
                CSRF_COOKIE, cookie, httponly=True, samesite="strict", secure=secure(request)
            )
        return resp

    def message(request: Request, text: str, status: int) -> HTMLResponse:
        return render(request, "message.html", "Information", status, message=text)

    def csrf_ok(request: Request, token: str) -> bool:
        return portal.csrf.valid(request.cookies.get(CSRF_COOKIE), token)

    def session(request: Request) -> str | None:
        opened = portal.sessions.open(request.cookies.get(SESSION_COOKIE))
        if opened is None or opened.incident_id != iid:
            return None
        if portal.throttle.session_ended(opened.session_id):
            return None  # ended by logout: a replayed cookie opens nothing
        return opened.person_ref

    def client(request: Request) -> str:
        return client_key(request.client.host if request.client else None)

    expired = "Votre session a expiré. Saisissez à nouveau votre code."
    bad_form = "Le formulaire a expiré. Revenez à l'accueil et recommencez."

    @app.get("/", response_class=HTMLResponse)
    def home(request: Request):
        return render(request, "index.html", "Vos données sont-elles concernées\u202f?")

    @app.post("/code", response_class=HTMLResponse)
    def enter_code(
        request: Request, code: Annotated[str, Form()] = "", csrf: Annotated[str, Form()] = ""
    ):
        if not csrf_ok(request, csrf):
            return message(request, bad_form, 403)
        who = client(request)
        title = "Vos données sont-elles concernées\u202f?"
        if portal.throttle.locked(who):
            return message(
                request,
                "Trop de codes erronés ont été saisis depuis votre connexion. Réessayez dans une "
                "heure, ou faites une demande sans code.",
                429,
            )
        if normalize_code(code) is None:
            # A typo caught by the check character: no store access, not counted as a guess.
            error = (
                "ce code est incomplet ou contient une faute de frappe. Vérifiez les 20 "
                "caractères inscrits sur votre courrier."
            )
            return render(request, "index.html", title, 400, error=error)
        # No global refusal here: a flood of wrong codes from other clients never turns
        # away a right code (the flood only tightens each client's lock, see Throttle).
        ref = find_person(portal.store, iid, code)
        if ref is None:
            if portal.throttle.fail(who).flood:
                limits_log.warning("wrong-code flood: clients locked at their first wrong code")
            error = "ce code n'est pas reconnu. Vérifiez-le sur votre courrier."
            return render(request, "index.html", title, 400, error=error)
        portal.throttle.succeed(who)
        resp = RedirectResponse("/mon-dossier", status_code=303)
        resp.set_cookie(
            SESSION_COOKIE,
            portal.sessions.seal(iid, ref),
            max_age=cfg.session_minutes * 60,
            httponly=True,
            samesite="strict",
            secure=secure(request),
        )
        return resp

    def person_page(request: Request, ref: str, status: int = 200, **extra):
        person = portal.person(ref, "portal.page_view")
        if person is None:
            return message(request, expired, 403)
        text = describe(person.categories, person.password)  # the letter's own words
        return render(
            request,
            "dossier.html",
            "Vos données faisaient partie de la fuite",
            status,
            exposed=text.exposed,
            not_exposed=text.not_exposed,
            advice=text.advice_texts(),
            **extra,
        )

    @app.get("/mon-dossier", response_class=HTMLResponse)
    def my_page(request: Request):
        ref = session(request)
        if ref is None:
            return RedirectResponse("/", status_code=303)
        return person_page(request, ref)

    @app.get("/mon-dossier/attestation.pdf")
    def my_attestation(request: Request):
        ref = session(request)
        if ref is None:
            return RedirectResponse("/", status_code=303)
        person = portal.person(ref, "portal.attestation")
        if person is None:
            return message(request, expired, 403)
        ident = person.identity
        text = describe(person.categories, person.password)
        inc = portal.incident
        facts = attestation.AttestationFacts(
            controller=inc.controller or "Le responsable du traitement",
            incident=inc.name,
            discovered=inc.discovered,
            dpo_contact=inc.dpo_contact or "",
            full_name=f"{ident.get('first_name', '')} {ident.get('last_name', '')}".strip(),
            birth_date=_birth_date_fr(ident.get("birth_date", "")),
            exposed=list(text.exposed),
            not_exposed=list(text.not_exposed),
            issued=utcnow(),
        )
        pdf = attestation.build_pdf(facts, portal.signing_key)
        return Response(
            pdf,
            media_type="application/pdf",
            headers={"content-disposition": 'attachment; filename="attestation.pdf"'},
        )

    @app.post("/mon-dossier/courriel", response_class=HTMLResponse)
    def my_email(
        request: Request, email: Annotated[str, Form()] = "", csrf: Annotated[str, Form()] = ""
    ):
        ref = session(request)
        if ref is None:
            return message(request, expired, 403)
        if not csrf_ok(request, csrf):
            return message(request, bad_form, 403)
        email = email.strip()
        if not _plausible_email(email):
            return person_page(
                request, ref, 400, optin_error="cette adresse électronique n'est pas valide."
            )
        case_contacts.save_email_optin(portal.store, iid, ref, email)
        return person_page(request, ref, optin_saved=True)

    @app.post("/mon-dossier/fin")
    def logout(request: Request, csrf: Annotated[str, Form()] = ""):
        if not csrf_ok(request, csrf):
            return message(request, bad_form, 403)
        opened = portal.sessions.open(request.cookies.get(SESSION_COOKIE))
        if opened is not None and opened.incident_id == iid:
            # Server-side end: the cookie, replayed or copied, no longer opens the page.
            portal.throttle.end_session(
                opened.session_id, datetime.fromtimestamp(opened.expires, UTC)
            )
        resp = RedirectResponse("/", status_code=303)
        resp.delete_cookie(SESSION_COOKIE, httponly=True, samesite="strict")
        return resp

    @app.get("/sans-code", response_class=HTMLResponse)
    def no_code_form(request: Request):
        return render(request, "sans_code.html", "Demande sans code")

    @app.post("/sans-code", response_class=HTMLResponse)
    def no_code_request(
        request: Request,
        last_name: Annotated[str, Form()] = "",
        first_name: Annotated[str, Form()] = "",
        birth_date: Annotated[str, Form()] = "",
        postcode: Annotated[str, Form()] = "",
        csrf: Annotated[str, Form()] = "",
    ):
        if not csrf_ok(request, csrf):
            return message(request, bad_form, 403)
        fields = {
            "last_name": last_name.strip()[:100],
            "first_name": first_name.strip()[:100],
            "birth_date": birth_date.strip()[:10],
            "postcode": postcode.strip()[:10],
        }
        # Nothing is looked up here: the same write and the same page for everyone, so
        # neither the answer nor its timing depends on what the store holds. Past a bound
        # nothing is queued and the page is still the same: it says nothing either way.
        if portal.no_code_allowed(client(request)):
            case_contacts.queue_request(portal.store, iid, fields)
        return render(request, "demande_recue.html", "Demande enregistrée")

    @app.get("/attestation/cle-publique.pem")
    def public_key():
        return Response(
            attestation.public_pem(portal.signing_key), media_type="application/x-pem-file"
        )

    @app.get("/favicon.ico")
    def favicon():
        return Response(status_code=204)

    @app.get("/sante")
    def health():
        return Response("ok", media_type="text/plain")

    app.add_middleware(Guard, portal=portal)
    return app


def _plausible_email(text: str) -> bool:
    if not 3 <= len(text) <= 254 or text.count("@") != 1 or any(c.isspace() for c in text):
        return False
    local, domain = text.split("@")
    return bool(local) and "." in domain.strip(".") and ".." not in domain
