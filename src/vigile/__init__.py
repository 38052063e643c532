"""vigile — find, triage and notify leaks of French health data."""

import os
import sys

__version__ = "0.1.0"

# polars allocates through jemalloc, which polars configures to hand freed pages back
# to the system after 0.5 s (dirty) then 1 s (muzzy). A scan frees and reallocates
# hundreds of megabytes within a second, so its batches kept faulting pages in again
# (about 90,000 page faults and 0.25 s of kernel time on a 491,840-row export). Pages
# freed are kept 5 s and then returned at once (no muzzy stage, whose pages still count
# in RSS): peak RSS on a 2 GB export stayed at 1.04 GB, where 10 s for both stages took
# it to 1.59 GB. polars reads this variable when it loads (its own defaults come first,
# ours override them), so it is set here, before vigile imports polars, and only when
# polars is not loaded yet and the user chose no configuration.
ALLOCATOR_CONF = "dirty_decay_ms:5000,muzzy_decay_ms:0"
if "polars" not in sys.modules:
    os.environ.setdefault("_RJEM_MALLOC_CONF", ALLOCATOR_CONF)
