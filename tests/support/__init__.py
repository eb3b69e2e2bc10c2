"""Helpers shared by the tests: real collectors, kiosk stores, fault proxies,
PostgreSQL and Xvfb servers.  Test modules import from here, never from each other."""

from pathlib import Path

#: The repository's top folder (docs/, assets/, the packages).
ROOT = Path(__file__).resolve().parents[2]
