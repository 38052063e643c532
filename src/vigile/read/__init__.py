"""vigile.read: any hostile input file -> a stream of Tables of string batches.

for item in open_tables(path, limits=Limits()):
    if isinstance(item, ReadError): ...   # unreadable file or member; the scan goes on
    for batch in item.batches(): ...     # pl.DataFrame, every column pl.String
"""

from vigile.read.dispatch import open_tables
from vigile.read.errors import ReadError
from vigile.read.limits import Limits
from vigile.read.table import Table

__all__ = ["Limits", "ReadError", "Table", "open_tables"]
