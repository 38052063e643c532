"""SQLAlchemy Core tables of the case store. Changes go through an Alembic migration too."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a bigint.
BigId = BigInteger().with_variant(Integer(), "sqlite")

metadata = MetaData()

meta = Table(
    "case_meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", LargeBinary, nullable=False),
)

incidents = Table(
    "incidents",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("discovered_at", DateTime(timezone=True), nullable=False),
    Column("controller", Text),
    Column("dpo_contact", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("linked_at", DateTime(timezone=True)),
    Column("affected_count", Integer, nullable=False, default=0),
    Column("unmatched_leak_persons", Integer),
    Column("aggregates", Text),  # JSON figures that outlive a purge
    Column("purged_at", DateTime(timezone=True)),
    Column("settings", Text),  # JSON: portal URL, DPO name, processor, CNIL answers (0003)
)

evidence = Table(
    "evidence",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("incident_id", Integer, ForeignKey("incidents.id"), nullable=False, index=True),
    Column("path", Text, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("found_where", Text),
    Column("found_at", DateTime(timezone=True)),
    Column("recorded_by", String(200)),
    UniqueConstraint("incident_id", "path", "sha256"),
)

triage = Table(
    "triage",
    metadata,
    Column("incident_id", Integer, ForeignKey("incidents.id"), primary_key=True),
    Column("saved_at", DateTime(timezone=True), nullable=False),
    Column("triage_json", Text, nullable=False),
    Column("vigile_version", String(40)),
)

affected = Table(
    "affected",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("incident_id", Integer, ForeignKey("incidents.id"), nullable=False),
    Column("person_ref", String(64), nullable=False),  # keyed HMAC of patient_id
    Column("match_probability", Float, nullable=False),
    Column("match_method", String(20), nullable=False),
    Column("categories", Text, nullable=False),  # sorted ids joined by ","
    Column("sealed", LargeBinary, nullable=False),  # AES-GCM {patient_id, identity}
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("incident_id", "person_ref"),
)

review = Table(
    "review",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("incident_id", Integer, ForeignKey("incidents.id"), nullable=False, index=True),
    Column("match_probability", Float, nullable=False),
    Column("sealed", LargeBinary, nullable=False),  # AES-GCM {leak_key, patient_id, masks}
    Column("decision", String(20)),
    Column("decided_at", DateTime(timezone=True)),
    Column("decided_by", String(200)),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

notifications = Table(
    "notifications",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("incident_id", Integer, ForeignKey("incidents.id"), nullable=False, index=True),
    Column("person_ref", String(200)),  # nulled by purge
    Column("channel", String(40), nullable=False),
    Column("state", String(20), nullable=False),
    Column("detail", Text),  # nulled by purge
    Column("at", DateTime(timezone=True), nullable=False),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("at", String(40), nullable=False),  # ISO text: hashed exactly as stored
    Column("actor", String(200), nullable=False),
    Column("action", String(80), nullable=False),
    Column("details", Text, nullable=False),  # canonical JSON
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)


# The self-check portal's tables (migration 0002): codes stored only as a keyed lookup tag
# and a scrypt hash; typed identities and e-mail choices sealed with the store key.
access_codes = Table(
    "portal_access_codes",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("incident_id", Integer, ForeignKey("incidents.id"), nullable=False),
    Column("person_ref", String(64), nullable=False),
    Column("lookup_tag", String(64), nullable=False),  # HMAC(tag key, incident + code)
    Column("code_hash", String(200), nullable=False),  # scrypt$logN$r$p$salt$hash
    Column("created_at", DateTime(timezone=True), nullable=False),
    # The code sealed with the store key (0003): issued once, reused by every channel/run.
    Column("sealed", LargeBinary),
    UniqueConstraint("incident_id", "person_ref"),
    UniqueConstraint("incident_id", "lookup_tag"),
)

portal_requests = Table(
    "portal_requests",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("incident_id", Integer, ForeignKey("incidents.id"), nullable=False),
    Column("sealed", LargeBinary, nullable=False),  # AES-GCM typed identity
    Column("state", String(20), nullable=False),  # pending | handled
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("handled_at", DateTime(timezone=True)),
    Column("person_ref", String(64)),  # the affected person it matched, if any (0003)
    Column("outcome", String(40)),  # letter | email | no_match | duplicate (0003)
    Column("handled_by", String(200)),
)

portal_contacts = Table(
    "portal_contacts",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("incident_id", Integer, ForeignKey("incidents.id"), nullable=False),
    Column("person_ref", String(64), nullable=False),
    Column("sealed", LargeBinary, nullable=False),  # AES-GCM {"email": ...}
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("incident_id", "person_ref"),
)


# The CNIL notification as drafted and as submitted (0003).
cnil_drafts = Table(
    "cnil_drafts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("incident_id", Integer, ForeignKey("incidents.id"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("kind", String(20), nullable=False),
    Column("drafted_at", DateTime(timezone=True), nullable=False),
    Column("json_sha256", String(64), nullable=False),
    Column("pdf_sha256", String(64), nullable=False),
    UniqueConstraint("incident_id", "version"),
)

cnil_submissions = Table(
    "cnil_submissions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("incident_id", Integer, ForeignKey("incidents.id"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("kind", String(20), nullable=False),
    Column("submitted_at", DateTime(timezone=True), nullable=False),
    Column("receipt", String(200), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("recorded_by", String(200), nullable=False),
    UniqueConstraint("incident_id", "version"),
)

# One run of a step per incident at a time (notify letters, notify email...), for SQLite
# and PostgreSQL alike: a row per held lease, taken over only once expired (0003).
leases = Table(
    "leases",
    metadata,
    Column("name", String(200), primary_key=True),
    Column("holder", String(200), nullable=False),
    Column("token", String(64), nullable=False),
    Column("acquired_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)

# The portal's limits (0004), shared by its worker processes and kept across restarts.
# A client is named by a keyed pseudonym of its IPv4 address or IPv6 /64 (HMAC under a
# sub-key of the store key), never the address itself. Rows expire (`expires_at`).
portal_throttle = Table(
    "portal_throttle",
    metadata,
    Column("incident_id", Integer, ForeignKey("incidents.id"), primary_key=True),
    Column("scope", String(20), primary_key=True),  # code_fail | no_code | * (all clients)
    Column("client", String(64), primary_key=True),
    Column("window_start", DateTime(timezone=True), nullable=False),
    Column("count", Integer, nullable=False),
    Column("locked_until", DateTime(timezone=True)),
    Column("expires_at", DateTime(timezone=True), nullable=False, index=True),
)

# Portal sessions ended by logout before their cookie expired (0004): a replayed cookie
# is refused. The session id is random; only its SHA-256 is kept.
portal_sessions_ended = Table(
    "portal_sessions_ended",
    metadata,
    Column("session", String(64), primary_key=True),
    Column("incident_id", Integer, ForeignKey("incidents.id"), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False, index=True),
)
