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
from typing import Literal

#: A column's type, as its Parquet type (docs/export.md spells out each).
Kind = Literal["int64", "string", "bool", "float64", "timestamp", "date", "time"]

#: The question every rating answers today.  Issue #16 brings NPS and CES
#: questions; then this becomes a column of the rating instead of a constant.
QUESTION_KIND = "csat"

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


RATING_COLUMNS: tuple[Column, ...] = (
    Column("ingest_seq", "int64", "Order in which the collector stored the rating; the cursor",
           12),
    Column("id", "string", "The rating's UUID, made by the kiosk", 37),
    Column("seq", "int64", "The kiosk's own gapless number for the rating"),
    Column("store_id", "string", "The store the rating was made in"),
    Column("kiosk_id", "string", "The kiosk that recorded it", 16),
    Column("score", "int64", "The face tapped, 1 (least happy) to scale"),
    Column("scale", "int64", "How many faces the kiosk showed: 3, 4 or 5"),
    Column("created_at", "timestamp", "When the face was tapped, UTC (kiosk clock)"),
    Column("local_date", "date", "The store's local date of the tap, as the kiosk filed it"),
    Column("lang", "string", "The kiosk's language at the tap (fi, sv, en, de)", 6),
    Column("reason", "string", "The follow-up reason key chosen, or empty", 14),
    Column("suppressed", "bool", "Inside the response interval: kept, but not counted in CSAT"),
    Column("survey_version", "int64", "Version of the store's survey the kiosk showed, or empty"),
    Column("received_at", "timestamp", "When the collector stored it, UTC"),
    Column("clock_suspect", "bool", "The kiosk's clock was off by more than the tolerance"),
    Column("store_name", "string", "The store's display name now", 20),
    Column("local_time", "time",
           "Time of day of created_at on the store's clock (its zone now), HH:MM:SS"),
    Column("question_kind", "string",
           'What the rating answers: "csat" for every rating until NPS/CES questions exist'),
)

DAILY_COLUMNS: tuple[Column, ...] = (
    Column("store_id", "string", "The store"),
    Column("date", "date", "The store's local date"),
    Column("responses", "int64", "Counted responses (suppressed taps left out)"),
    Column("satisfied", "int64", "Counted responses on a satisfied face"),
    Column("csat", "float64", "satisfied / responses x 100, one decimal; empty without responses"),
    Column("ci_low", "float64", "Lower end of CSAT's 95% Wilson interval"),
    Column("ci_high", "float64", "Upper end of CSAT's 95% Wilson interval"),
    Column("happy_index", "float64", "Faces mapped to 0..100 in equal steps, averaged"),
    Column("suppressed", "int64", "Taps inside the response interval, not counted"),
    Column("face_1", "int64", "Counted responses on face 1"),
    Column("face_2", "int64", "Counted responses on face 2"),
    Column("face_3", "int64", "Counted responses on face 3"),
    Column("face_4", "int64", "Counted responses on face 4"),
    Column("face_5", "int64", "Counted responses on face 5"),
    Column("store_name", "string", "The store's display name now", 20),
)


def names(columns: tuple[Column, ...]) -> tuple[str, ...]:
    """The names of ``columns`` in order: a CSV header."""
    return tuple(column.name for column in columns)
