"""Detection: detectors as data, validators, the vectorised column classifier, masks.

from vigile.detect import ColumnProfiler, classify, mask
"""

from vigile.detect.detectors import DETECTORS, Detector
from vigile.detect.mask import mask
from vigile.detect.profiler import ColumnProfiler, classify

__all__ = ["DETECTORS", "ColumnProfiler", "Detector", "classify", "mask"]
