"""Helpers and scripts of the reliability suite (docs/reliability.md)."""
