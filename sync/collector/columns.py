"""The exports' columns, declared once: name, type and meaning.

Every export format reads these lists: CSV and JSON Lines take the names in
order, the XLSX writer (:mod:`sync.collector.spreadsheet`) picks each cell's
type, number format and width from the type, and the Parquet writer
(:mod:`sync.collector.parquet`) builds its schema from it.  docs/export.md
documents each column and a test holds the two together, so a column cannot
be added without saying what it means.

New columns only ever go at the end: scripts read the CSV by position.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, cast

#: A column's type, as its Parquet type (docs/export.md spells out each).
Kind = Literal["int64", "string", "bool", "float64", "timestamp", "date", "time"]

#: Spreadsheet width (characters) of a column of each type, before its name is considered.
WIDTHS: dict[str, int] = {
    "int64": 8, "string": 12, "bool": 8, "float64": 8, "timestamp": 23, "date": 11, "time": 9,
}


@dataclass(frozen=True)
class Column:
    """One exported column: its name, its type and what it means to a reader."""

    name: str
    kind: Kind
    meaning: str
    #: Characters wide in a spreadsheet; 0: from its type and name.
    chars: int = 0

    @property
    def width(self) -> int:
        """How wide a spreadsheet shows it: enough for its name and a typical value."""
        return max(self.chars or WIDTHS[self.kind], len(self.name) + 2)


def table(text: str) -> tuple[Column, ...]:
    """Columns from a text table, one a line: name, type, width (``-``: from the type), meaning."""
    found = []
    for line in text.strip().splitlines():
        name, kind, chars, meaning = line.split(None, 3)
        if kind not in WIDTHS:
            raise ValueError(f"column {name}: unknown type {kind!r}")
        found.append(Column(name, cast(Kind, kind), meaning, 0 if chars == "-" else int(chars)))
    return tuple(found)


#: A rating (``/export/ratings``): the stored columns, then what the export adds.
RATING_COLUMNS = table("""
    ingest_seq     int64      12  Order in which the collector stored the rating; the cursor
    id             string     37  The rating's UUID, made by the kiosk
    seq            int64      -   The kiosk's own gapless number for the rating
    store_id       string     -   The store the rating was made in
    kiosk_id       string     16  The kiosk that recorded it
    score          int64      -   The answer: a face 1 (least happy) to scale; NPS 0-10; CES 1-7
    scale          int64      -   How many answers the kiosk showed: 3, 4 or 5 faces; 11 NPS; 7 CES
    created_at     timestamp  -   When the face was tapped, UTC (kiosk clock)
    local_date     date       -   The store's local date of the tap, as the kiosk filed it
    lang           string     6   The kiosk's language at the tap (fi, sv, en, de)
    reason         string     14  The follow-up reason key chosen, or empty
    suppressed     bool       -   Inside the response interval: kept, but not counted in CSAT
    survey_version int64      -   Version of the store's survey the kiosk showed, or empty
    received_at    timestamp  -   When the collector stored it, UTC
    clock_suspect  bool       -   The kiosk's clock was off by more than the tolerance
    store_name     string     20  The store's display name now
    local_time     time       -   Time of day of created_at on the store's clock, HH:MM:SS
    question_kind  string     -   The question it answers: csat, nps or ces (older kiosks: csat)
    followup       string     9   A follow-up left unanswered: skipped, timeout, or empty
""")

#: A store's day (``/export/daily``): its figures, then the store's name.
DAILY_COLUMNS = table("""
    store_id       string     -   The store
    date           date       -   The store's local date
    responses      int64      -   Counted responses (suppressed taps left out)
    satisfied      int64      -   Counted responses on a satisfied face
    csat           float64    -   satisfied / responses x 100, one decimal; empty without responses
    ci_low         float64    -   Lower end of CSAT's 95% Wilson interval
    ci_high        float64    -   Upper end of CSAT's 95% Wilson interval
    happy_index    float64    -   Faces mapped to 0..100 in equal steps, averaged
    suppressed     int64      -   Taps inside the response interval, not counted
    face_1         int64      -   Counted responses on face 1
    face_2         int64      -   Counted responses on face 2
    face_3         int64      -   Counted responses on face 3
    face_4         int64      -   Counted responses on face 4
    face_5         int64      -   Counted responses on face 5
    store_name     string     20  The store's display name now
""")


def names(columns: tuple[Column, ...]) -> tuple[str, ...]:
    """The names of ``columns`` in order: a CSV header."""
    return tuple(column.name for column in columns)
