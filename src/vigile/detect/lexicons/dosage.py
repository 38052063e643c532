"""A regex for dosages and galenic forms in folded French text.

Written for the Rust `regex` crate used by polars (no look-around, no
backreferences) and equally valid for Python `re`. Folded text has no accents and
the micro sign has become Greek mu (NFKD), hence `ug`, `mcg`, `μg`.
"""

from __future__ import annotations

_NUMBER = r"\d+(?:[.,]\d+)?"
_MASS_OR_VOLUME = r"(?:mg|mcg|ug|[μµ]g|g|ng|ml|ui|meq|mmol|gamma|grammes?|milligrammes?)"
_PER = r"(?:j|jour|jours|24 ?h|h|kg|ml|l|dl|dose|inj|sem|semaine|mois)"
_FORMS = (
    r"(?:cp|cps|cpr|comp|comprimes?|gel|gelules?|sachets?|ampoules?|amp|gouttes|"
    r"bouffees?|inj|injections?|patchs?|suppo|suppositoires?|doses?|unites?|capsules?|"
    r"ovules?|flacons?|stylos?|seringues?)"
)
_FREQUENCY = r"(?:/ ?(?:j|jour|24 ?h|sem|semaine|mois|h)|par (?:jour|semaine|mois))"

DOSAGE_REGEX: str = (
    r"\b(?:"
    # 850 mg, 75 ug, 0,5 ml, 40 mg/j, 10 ui/kg
    rf"{_NUMBER} ?{_MASS_OR_VOLUME}(?: ?/ ?{_PER})?"
    # 1 cp/j, 2 gelules par jour, 1/2 cp, 3 sachets
    rf"|\d+(?:[.,/]\d+)? ?{_FORMS}(?: ?{_FREQUENCY})?"
    # x2/j, x 3 par jour
    rf"|x ?\d+ ?{_FREQUENCY}"
    # 2x/j, 3 fois par jour, 2 fois/sem
    rf"|\d+ ?(?:x|fois) ?{_FREQUENCY}"
    # concentrations as written on results and prescriptions: ui/l, mg/dl, ug/ml
    r"|(?:m?ui|[mμµu]?mol|[mnpμµu]?g|meq) ?/ ?(?:l|dl|ml|24 ?h)"
    # galenic forms and routes, on their own
    r"|comprimes?|gelules?|sachets?|ampoules?|suppositoires?|collyres?|sirop|pommade|"
    r"injectables?|buvables?|effervescents?|orodispersibles?|sublingual|sous-cutanee|"
    r"lyophilisat|cp secables?|liberation prolongee"
    r")\b"
)
