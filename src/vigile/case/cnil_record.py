"""The CNIL notification as the case records it: each draft written (version, kind,
digests) and each submission the DPO made on the CNIL's service (receipt, time).

A draft is "initial" until a submission is recorded, "complementary" after; letters say
the CNIL was notified only once a submission is recorded.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from .clock import from_db, to_utc, utcnow
from .errors import CaseError
from .models import CnilDraft, CnilSubmission
from .schema import cnil_drafts, cnil_submissions

KINDS = ("initial", "complementary", "complete")


def drafts(store, incident_id: int) -> list[CnilDraft]:
    with store._read() as conn:
        rows = conn.execute(
            select(cnil_drafts)
            .where(cnil_drafts.c.incident_id == incident_id)
            .order_by(cnil_drafts.c.version)
        ).mappings()
        return [
            CnilDraft(
                version=r["version"],
                kind=r["kind"],
                drafted_at=from_db(r["drafted_at"]),
                json_sha256=r["json_sha256"],
                pdf_sha256=r["pdf_sha256"],
            )
            for r in rows
        ]


def submissions(store, incident_id: int) -> list[CnilSubmission]:
    with store._read() as conn:
        rows = conn.execute(
            select(cnil_submissions)
            .where(cnil_submissions.c.incident_id == incident_id)
            .order_by(cnil_submissions.c.submitted_at, cnil_submissions.c.version)
        ).mappings()
        return [
            CnilSubmission(
                version=r["version"],
                kind=r["kind"],
                submitted_at=from_db(r["submitted_at"]),
                receipt=r["receipt"],
                recorded_at=from_db(r["recorded_at"]),
                recorded_by=r["recorded_by"],
            )
            for r in rows
        ]


def next_kind(store, incident_id: int) -> str:
    return "complementary" if submissions(store, incident_id) else "initial"


def record_draft(
    store, incident_id: int, kind: str, json_sha256: str, pdf_sha256: str, at: datetime | None
) -> int:
    """Record a written draft; returns its version (the next free one, taken atomically)."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}")
    for _ in range(5):  # two writers at once: the loser takes the next number
        try:
            with store.engine.begin() as conn:
                store._ensure_incident(conn, incident_id)
                last = conn.execute(
                    select(func.max(cnil_drafts.c.version)).where(
                        cnil_drafts.c.incident_id == incident_id
                    )
                ).scalar_one_or_none()
                version = (last or 0) + 1
                conn.execute(
                    insert(cnil_drafts).values(
                        incident_id=incident_id,
                        version=version,
                        kind=kind,
                        drafted_at=to_utc(at or utcnow()),
                        json_sha256=json_sha256,
                        pdf_sha256=pdf_sha256,
                    )
                )
                store._audit(
                    conn,
                    "notify.cnil",
                    {
                        "incident_id": incident_id,
                        "version": version,
                        "kind": kind,
                        "json_sha256": json_sha256,
                        "pdf_sha256": pdf_sha256,
                    },
                )
            return version
        except IntegrityError:
            continue
    raise CaseError("could not number the CNIL draft (too many writers at once): rerun")


def record_submission(
    store, incident_id: int, submitted_at: datetime, receipt: str, version: int | None = None
) -> CnilSubmission:
    """Record that draft `version` (default: the latest) was submitted to the CNIL.

    Idempotent for the same version and receipt; a different receipt for a version already
    recorded is refused (a submission, once recorded, is a fact)."""
    receipt = (receipt or "").strip()
    if not receipt or len(receipt) > 200:
        raise ValueError("the CNIL receipt must be 1 to 200 characters")
    written = drafts(store, incident_id)
    if not written:
        raise CaseError(
            "no CNIL draft was written for this incident: run `vigile notify cnil --out DIR` "
            "first, submit it on the CNIL's service, then record it"
        )
    chosen = {d.version: d for d in written}
    version = version or written[-1].version
    if version not in chosen:
        raise CaseError(f"no CNIL draft version {version} (written: 1 to {written[-1].version})")
    for s in submissions(store, incident_id):
        if s.version == version:
            if s.receipt == receipt:
                return s
            raise CaseError(
                f"draft v{version} is already recorded as submitted with another receipt"
            )
    with store.engine.begin() as conn:
        store._ensure_incident(conn, incident_id)
        conn.execute(
            insert(cnil_submissions).values(
                incident_id=incident_id,
                version=version,
                kind=chosen[version].kind,
                submitted_at=to_utc(submitted_at),
                receipt=receipt,
                recorded_at=utcnow(),
                recorded_by=store.actor,
            )
        )
        store._audit(
            conn,
            "cnil.submitted",
            {
                "incident_id": incident_id,
                "version": version,
                "kind": chosen[version].kind,
                "submitted_at": to_utc(submitted_at),
                "receipt": receipt,
            },
        )
    return next(s for s in submissions(store, incident_id) if s.version == version)
