"""vigile.link: exactly which of the controller's patients are in a leak.

Leak rows -> distinct persons -> NIR pass (with birth-date check) -> Splink
(DuckDB) on the rest -> one patient at most per leak person; gray-zone pairs
go to a manual review queue; the result goes into the case store.
"""

from .leak import LeakError, LeakPersons, categories_of, load_leak
from .output import AFFECTED_CSV_COLUMNS, save_to_case, write_affected_csv
from .patients import Patients, PatientsError, load_patients
from .pipeline import LinkOptions, LinkResult, link
from .probabilistic import SplinkOptions
from .roles import LinkRoles, RoleError, parse_role_flags

__all__ = [
    "AFFECTED_CSV_COLUMNS",
    "LeakError",
    "LeakPersons",
    "LinkOptions",
    "LinkResult",
    "LinkRoles",
    "Patients",
    "PatientsError",
    "RoleError",
    "SplinkOptions",
    "categories_of",
    "link",
    "load_leak",
    "load_patients",
    "parse_role_flags",
    "save_to_case",
    "write_affected_csv",
]
