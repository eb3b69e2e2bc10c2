"""Print the figures of a reliability run as the Markdown table of docs/reliability.md.

    python -m tests.reliability.report reliability-figures.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def rows(data: dict) -> list[tuple[str, str]]:
    """(scenario, figures) lines, in the order of docs/reliability.md."""
    out = []
    for name, figures in sorted(data.get("scenarios", {}).items()):
        parts = []
        for key, value in figures.items():
            if isinstance(value, dict):
                value = ", ".join(f"{k} {v}" for k, v in value.items())
            parts.append(f"{key.replace('_', ' ')}: {value}")
        out.append((name, "; ".join(parts)))
    return out


def main() -> None:
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "reliability-figures.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    print(f"Mode: {data.get('mode')}\n")
    print("| scenario | figures |")
    print("|---|---|")
    for name, figures in rows(data):
        print(f"| {name} | {figures} |")


if __name__ == "__main__":
    main()
