"""``python -m sync.collector ...`` runs the ``hymy-collector`` command line.

With no arguments it serves, like ``hymy-collector serve``.
"""

import sys

from sync.collector.cli import cli

if __name__ == "__main__":
    cli(args=sys.argv[1:] or ["serve"], prog_name="hymy-collector")
