"""Column classification accuracy on synthetic exports in every encoding, separator and
header style (including meaningless headers C01, C02...), against the generator's truth.

Prints per-category precision and recall over all columns of all files, and every column
that was misclassified (names only). Target (issue 2): every sensitive column gets its
category, no decoy is flagged. Run: .venv/bin/python benchmarks/bench_scan_accuracy.py
"""

from __future__ import annotations

import argparse
import itertools
import json
from collections import Counter
from pathlib import Path

from _common import synth_export
from vigile.scan import scan_path

ENCODINGS = ["utf-8", "utf-8-sig", "cp1252"]
SEPARATORS = [";", ",", "\t", "|"]
STYLES = ["lis", "verbose", "english", "meaningless"]
NIRS = ["full", "split"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=20_000)
    args = ap.parse_args()
    tp, fp, fn = Counter(), Counter(), Counter()
    decoys = decoys_flagged = 0
    errors: list[str] = []
    configs = list(itertools.product(STYLES, ENCODINGS, NIRS))
    for i, (style, enc, nir) in enumerate(configs):
        sep = SEPARATORS[i % len(SEPARATORS)]
        fields = "full" if (i // 2) % 2 == 0 else "standard"  # both column layouts
        name = f"acc_{style}_{enc}_{nir}_{fields}_{ord(sep)}_{args.rows}.csv"
        path = synth_export(
            name,
            rows=args.rows,
            seed=100 + i,
            encoding=enc,
            separator=sep,
            header_style=style,
            nir=nir,
            fields=fields,
        )
        truth = json.loads(Path(f"{path}.truth.json").read_text(encoding="utf-8"))["columns"]
        [table] = scan_path(path).tables
        got = {c.name: c.category for c in table.columns}
        for col, want in truth.items():
            have = got.get(col)
            if want is None:
                decoys += 1
                if have is not None:
                    decoys_flagged += 1
            if have == want:
                if want:
                    tp[want] += 1
                continue
            if have:
                fp[have] += 1
            if want:
                fn[want] += 1
            errors.append(
                f"{style:11} {enc:9} sep={sep!r:4} nir={nir:5} {fields:8} {col}: want {want}, got {have}"
            )
    cats = sorted(set(tp) | set(fp) | set(fn))
    print(
        f"{len(configs)} files x {args.rows:,} rows; styles {STYLES}, encodings {ENCODINGS}, separators rotating, NIR full/split, full/standard fields"
    )
    print(f"{'category':18} {'TP':>5} {'FP':>4} {'FN':>4} {'precision':>9} {'recall':>7}")
    for c in cats:
        p = tp[c] / (tp[c] + fp[c]) if tp[c] + fp[c] else 1.0
        r = tp[c] / (tp[c] + fn[c]) if tp[c] + fn[c] else 1.0
        print(f"{c:18} {tp[c]:5} {fp[c]:4} {fn[c]:4} {p:9.3f} {r:7.3f}")
    total_tp, total_fp, total_fn = sum(tp.values()), sum(fp.values()), sum(fn.values())
    print(
        f"{'ALL':18} {total_tp:5} {total_fp:4} {total_fn:4} "
        f"{total_tp / max(1, total_tp + total_fp):9.3f} {total_tp / max(1, total_tp + total_fn):7.3f}"
    )
    print(f"decoy columns: {decoys}, flagged: {decoys_flagged}")
    for e in errors:
        print("  miss:", e)
    print("PASS" if not errors else f"FAIL ({len(errors)} columns differ)")


if __name__ == "__main__":
    main()
