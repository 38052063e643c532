"""A mixed file tree for sweep tests and the sweep benchmark: planted exports among clean files.

Planted: synthetic lab exports (vigile.synth) as CSV, xlsx, zipped and gzipped CSV.
Clean: inventories, sensor readings, logs, JSON configs, xlsx of figures, docx-like
zips of prose, archives of the above, random binaries: content that holds no person.
"""

from __future__ import annotations

import gzip
import io
import json
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import polars as pl

from vigile.synth import ExportSpec, generate_lab_export

_WORDS = (
    "pump valve sensor calibration throughput batch pipeline gateway firmware cache "
    "latency module turbine filter pressure module bracket gasket conveyor resistor "
    "inventory shipment pallet warehouse forecast budget quarter revenue margin"
).split()
STYLES = ("lis", "verbose", "english", "meaningless")


def _clean_csv(rng: np.random.Generator, n: int) -> bytes:
    kind = rng.integers(3)
    if kind == 0:
        df = pl.DataFrame({
            "sku": [f"SKU-{x:06d}" for x in rng.integers(0, 999_999, n)],
            "qty": rng.integers(0, 500, n),
            "unit_price": np.round(rng.uniform(0.5, 900, n), 2),
            "warehouse": rng.choice(["W1", "W2", "EAST", "NORTH"], n),
        })  # fmt: skip
    elif kind == 1:
        df = pl.DataFrame({
            "sensor": rng.integers(100, 200, n),
            "reading": np.round(rng.normal(20, 5, n), 3),
            "status": rng.choice(["OK", "WARN", "FAIL"], n),
        })  # fmt: skip
    else:
        df = pl.DataFrame({
            "item": rng.choice(_WORDS, n),
            "week": rng.integers(1, 53, n),
            "cost": np.round(rng.uniform(10, 5000, n), 2),
            "code": [f"{x:X}" for x in rng.integers(0, 1 << 32, n)],
        })  # fmt: skip
    return df.write_csv(separator=str(rng.choice([",", ";"]))).encode()


def _prose(rng: np.random.Generator, lines: int) -> str:
    return "\n".join(" ".join(rng.choice(_WORDS, rng.integers(5, 14))) for _ in range(lines))


def _log(rng: np.random.Generator, lines: int) -> bytes:
    levels = rng.choice(["INFO", "DEBUG", "WARN"], lines)
    return "\n".join(
        f"worker={rng.integers(1, 9)} {lv} {' '.join(rng.choice(_WORDS, 4))} took {rng.integers(1, 900)}ms"
        for lv in levels
    ).encode()


def _xlsx(rng: np.random.Generator, n: int) -> bytes:
    buf = io.BytesIO()
    pl.DataFrame({
        "quarter": rng.integers(1, 5, n), "revenue": rng.uniform(1e3, 1e6, n).round(2),
        "units": rng.integers(0, 10_000, n),
    }).write_excel(buf)  # fmt: skip
    return buf.getvalue()


def _docx(rng: np.random.Generator) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr(
            "word/document.xml", f"<w:document><w:body>{_prose(rng, 20)}</w:body></w:document>"
        )
    return buf.getvalue()


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def _tgz(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as t:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def clean_file(rng: np.random.Generator, i: int) -> tuple[str, bytes]:
    kind = i % 10
    if kind in (0, 1, 2):
        return f"data_{i}.csv", _clean_csv(rng, int(rng.integers(20, 400)))
    if kind == 3:
        return f"service_{i}.log", _log(rng, int(rng.integers(20, 200)))
    if kind == 4:
        return f"notes_{i}.txt", _prose(rng, int(rng.integers(5, 60))).encode()
    if kind == 5:
        conf = {
            "name": str(rng.choice(_WORDS)),
            "retries": int(rng.integers(1, 9)),
            "tags": list(rng.choice(_WORDS, 3)),
        }
        return f"config_{i}.json", json.dumps(conf).encode()
    if kind == 6:
        return (
            (f"figures_{i}.xlsx", _xlsx(rng, 30))
            if i % 40 == 6
            else (f"report_{i}.docx", _docx(rng))
        )
    if kind == 7:
        members = {f"part{j}.csv": _clean_csv(rng, 50) for j in range(2)}
        return (
            (f"bundle_{i}.zip", _zip(members))
            if i % 20 == 7
            else (f"bundle_{i}.tar.gz", _tgz(members))
        )
    if kind == 8:
        return f"blob_{i}.bin", rng.bytes(int(rng.integers(256, 8192)))
    return f"image_{i}.png", b"\x89PNG\r\n\x1a\n" + rng.bytes(int(rng.integers(256, 4096)))


def planted_file(tmp: Path, rng: np.random.Generator, i: int) -> tuple[str, bytes]:
    style = STYLES[i % len(STYLES)]
    fmt = ("csv", "xlsx", "zip", "gz")[(i // len(STYLES)) % 4]
    spec = ExportSpec(rows=int(rng.integers(40, 300)), seed=1000 + i, header_style=style,
                      fields="standard", format="xlsx" if fmt == "xlsx" else "csv")  # fmt: skip
    src = tmp / f"synth_{i}.{'xlsx' if fmt == 'xlsx' else 'csv'}"
    generate_lab_export(spec, src)
    data = src.read_bytes()
    for p in tmp.glob(f"synth_{i}.*"):
        p.unlink()
    if fmt == "zip":
        return f"extraction_{i}.zip", _zip({"export.csv": data})
    if fmt == "gz":
        return f"extraction_{i}.csv.gz", gzip.compress(data)
    return f"extraction_{i}.{fmt}", data


def build_tree(root: Path, files: int, planted: int, seed: int = 7) -> set[str]:
    """Write `files` files (of which `planted` exports) under `root`; return the planted paths."""
    rng = np.random.default_rng(seed)
    scratch = root / ".scratch"
    scratch.mkdir(parents=True, exist_ok=True)
    every = max(1, files // max(planted, 1))
    out: set[str] = set()
    made = 0
    for i in range(files):
        d = root / f"dept{i % 7}" / f"user{i % 23}" / ("archive" if i % 3 else "docs")
        d.mkdir(parents=True, exist_ok=True)
        if made < planted and i % every == every - 1:
            name, data = planted_file(scratch, rng, made)
            made += 1
            out.add(str((d / name).resolve()))
        else:
            name, data = clean_file(rng, i)
        (d / name).write_bytes(data)
    scratch.rmdir()
    return out
