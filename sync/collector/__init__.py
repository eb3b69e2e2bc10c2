"""The Hymy collector: receives kiosk batches, keeps roll-ups, serves CSAT.

Start it with ``hymy-collector serve`` (or ``python -m sync.collector``); the
ASGI app comes from :func:`sync.collector.app.create_app`.  Importing this
package does not import FastAPI, so the CLI starts quickly.
"""

from sync.collector.db import Database
from sync.collector.settings import Settings
from sync.collector.storage import Storage

__all__ = ["Database", "Settings", "Storage"]
