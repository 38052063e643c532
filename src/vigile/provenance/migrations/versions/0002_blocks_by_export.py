"""Large exports' blocks: 2^14 buckets (was 2^16), clustered by export, indexed by bucket.

Registering a 491,840-row export wrote 65,536 block rows interleaved with every other
export's (primary key bucket first): the insert cost grew with the registry and was
most of the registration's time. The blocks are now 16,384 per export, keyed (export,
bucket) so a registration appends, with an index on bucket for look-ups. Existing
blocks are re-packed, export by export: a 14-bit bucket is four consecutive 16-bit
ones (the top bits of the same hashes), so its records are theirs concatenated, still
sorted by hash. Keys stored key by key (small exports, canaries) are untouched.

Revision ID: p0002
Revises: p0001
"""

import numpy as np
import sqlalchemy as sa
from alembic import op

revision = "p0002"
down_revision = "p0001"
branch_labels = None
depends_on = None

OLD_BITS, NEW_BITS = 16, 14  # frozen here: registry.BUCKET_BITS may change later
RECORD = np.dtype([("h", "<i8"), ("unit", "<i8"), ("view", "i1")])


def _table(name: str) -> sa.Table:
    return sa.table(
        name, sa.column("bucket", sa.Integer), sa.column("export_id", sa.Integer),
        sa.column("data", sa.LargeBinary),
    )  # fmt: skip


def _copy(old: str, new: str, regroup) -> None:
    """Every export's blocks from table `old` to `new`, regrouped by `regroup(eid, rows)`
    (one export in memory at a time)."""
    conn = op.get_bind()
    src, dst = _table(old), _table(new)
    eids = conn.execute(sa.select(src.c.export_id).distinct().order_by(src.c.export_id))
    for eid in eids.scalars().all():
        rows = conn.execute(
            sa.select(src.c.bucket, src.c.data).where(src.c.export_id == eid).order_by(src.c.bucket)
        ).all()
        out = regroup(eid, [(b, bytes(d)) for b, d in rows])
        for i in range(0, len(out), 4096):
            conn.execute(sa.insert(dst), out[i : i + 4096])


def _merge(eid: int, rows: list[tuple[int, bytes]]) -> list[dict]:
    merged: dict[int, list[bytes]] = {}
    for bucket, data in rows:  # in bucket order: the records stay sorted by hash
        merged.setdefault(bucket >> (OLD_BITS - NEW_BITS), []).append(data)
    return [{"bucket": b, "export_id": eid, "data": b"".join(d)} for b, d in merged.items()]


def _split(eid: int, rows: list[tuple[int, bytes]]) -> list[dict]:
    out = []
    for _, data in rows:
        rec = np.frombuffer(data, dtype=RECORD)
        bucket = rec["h"] >> (62 - OLD_BITS)
        starts = np.flatnonzero(np.r_[True, bucket[1:] != bucket[:-1]])
        ends = np.r_[starts[1:], len(rec)]
        out += [
            {"bucket": int(bucket[a]), "export_id": eid, "data": rec[a:b].tobytes()}
            for a, b in zip(starts.tolist(), ends.tolist(), strict=True)
        ]
    return out


def _blocks_table(name: str, key: tuple[str, str], key_name: str) -> None:
    """The blocks table under `name`, its primary key on `key` (the two revisions differ
    only there: (bucket, export) before, (export, bucket) from p0002)."""
    op.create_table(
        name,
        sa.Column("bucket", sa.Integer, nullable=False),
        sa.Column("export_id", sa.Integer, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.PrimaryKeyConstraint(*key, name=key_name),
        sqlite_with_rowid=False,
    )


def upgrade() -> None:
    _blocks_table(
        "provenance_blocks_p0002", ("export_id", "bucket"), "pk_provenance_blocks_by_export"
    )
    _copy("provenance_blocks", "provenance_blocks_p0002", _merge)
    op.drop_table("provenance_blocks")
    op.rename_table("provenance_blocks_p0002", "provenance_blocks")
    op.create_index("ix_provenance_blocks_bucket", "provenance_blocks", ["bucket", "export_id"])


def downgrade() -> None:
    _blocks_table("provenance_blocks_p0001", ("bucket", "export_id"), "pk_provenance_blocks")
    _copy("provenance_blocks", "provenance_blocks_p0001", _split)
    op.drop_index("ix_provenance_blocks_bucket", table_name="provenance_blocks")
    op.drop_table("provenance_blocks")
    op.rename_table("provenance_blocks_p0001", "provenance_blocks")
