"""vigile.link: exactly which of the controller's patients are in a leak.

Leak rows (read once) -> distinct persons with what their own rows expose ->
NIR pass (with birth-date check) -> Splink (DuckDB) on the rest -> one patient at
most per leak person -> one exposure record per affected patient (categories,
health kinds, password form, minor, protected); gray-zone pairs go to a manual
review queue; the result goes into the case store.
"""

from .exposure import categories_of, kinds_of
from .leak import LeakError, LeakPersons, load_leak
from .output import AFFECTED_CSV_COLUMNS, save_to_case, write_affected_csv
from .patients import Patients, PatientsError, load_patients
from .pipeline import LinkOptions, LinkResult, link, link_loaded
from .probabilistic import SplinkOptions
from .roles import RoleError, parse_role_flags

__all__ = [
    "AFFECTED_CSV_COLUMNS",
    "LeakError",
    "LeakPersons",
    "LinkOptions",
    "LinkResult",
    "Patients",
    "PatientsError",
    "RoleError",
    "SplinkOptions",
    "categories_of",
    "kinds_of",
    "link",
    "link_loaded",
    "load_leak",
    "load_patients",
    "parse_role_flags",
    "save_to_case",
    "write_affected_csv",
]
