"""The Hymy collector: receives kiosk batches, keeps roll-ups, serves CSAT.

Start it with ``hymy-collector serve`` (or ``python -m sync.collector``); the
ASGI app comes from :func:`sync.collector.app.create_app`.  Importing this
package does not import FastAPI, so the CLI starts quickly.
"""

from sync.collector.db.connection import Database
from sync.collector.db.storage import Storage
from sync.collector.settings import Settings

__all__ = ["Database", "Settings", "Storage"]
