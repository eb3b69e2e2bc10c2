"""The collector's storage: connections and migrations (``connection``), the
queries the routes need (``storage``), running totals (``rollups``) and
per-kiosk seq gaps (``seqs``)."""

from sync.collector.db.connection import Busy, Database, DatabaseError, Duplicate
from sync.collector.db.storage import Storage

__all__ = ["Busy", "Database", "DatabaseError", "Duplicate", "Storage"]
