"""Exports as Apache Parquet, streamed a row group at a time.

The schema comes from :mod:`sync.collector.columns` (docs/export.md lists it):
``int64``, ``string``, ``bool``, ``float64``, ``timestamp[ms, tz=UTC]``,
``date32`` and ``time32[ms]`` (Parquet has no time in whole seconds; the
values are whole seconds all the same), each field carrying its meaning as metadata.
A data team loads the files into DuckDB, Spark or a warehouse with these types
as they are, without parsing text.

:func:`parquet_chunks` writes each page of rows as one row group into a sink
that hands the bytes straight on, so a response starts with the first page
and memory holds one page, never the file.  Parquet writes forward only (the
footer comes last), so no temporary file is needed.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from sync.collector.columns import Column

#: Arrow type of each column type.
ARROW_TYPES: dict[str, pa.DataType] = {
    "int64": pa.int64(), "string": pa.string(), "bool": pa.bool_(), "float64": pa.float64(),
    "timestamp": pa.timestamp("ms", tz="UTC"), "date": pa.date32(), "time": pa.time32("ms"),
}
#: Types read from text (ISO 8601) and cast by Arrow, faster than parsing in Python.
_CAST_FROM_TEXT = frozenset({"timestamp", "date"})


def schema(columns: Sequence[Column]) -> pa.Schema:
    """The Arrow schema of ``columns``; each field's metadata holds its meaning."""
    return pa.schema([
        pa.field(column.name, ARROW_TYPES[column.kind],
                 metadata={"description": column.meaning})
        for column in columns
    ])


def _milliseconds(text: str | None) -> int | None:
    """``HH:MM:SS`` as milliseconds after midnight (Arrow casts those to ``time32[ms]``)."""
    if text is None:
        return None
    hours, minutes, seconds = text.split(":")
    return (int(hours) * 3600 + int(minutes) * 60 + int(seconds)) * 1000


def _array(column: Column, values: list[Any]) -> pa.Array:
    """One column of a page as an Arrow array of its declared type."""
    kind = column.kind
    if kind in _CAST_FROM_TEXT:
        return pa.array(values, pa.string()).cast(ARROW_TYPES[kind])
    if kind == "time":
        return pa.array([_milliseconds(v) for v in values], pa.int32()).cast(ARROW_TYPES[kind])
    return pa.array(values, ARROW_TYPES[kind])


def table(columns: Sequence[Column], rows: Sequence[dict[str, Any]]) -> pa.Table:
    """``rows`` (dicts keyed by column name) as an Arrow table of :func:`schema`."""
    arrays = [_array(column, [row.get(column.name) for row in rows]) for column in columns]
    return pa.Table.from_arrays(arrays, schema=schema(columns))


class _Sink:
    """A write-only file for the Parquet writer that keeps bytes only until taken."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.position = 0
        self.closed = False

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        self.position += len(data)
        return len(data)

    def tell(self) -> int:
        return self.position

    def flush(self) -> None:
        """Nothing to flush: bytes wait in :attr:`parts` for :meth:`take`."""

    def close(self) -> None:
        self.closed = True

    def writable(self) -> bool:
        return True

    def take(self) -> bytes:
        """The bytes written since the last call."""
        data, self.parts = b"".join(self.parts), []
        return data


def parquet_chunks(
    columns: Sequence[Column], pages: Iterable[Sequence[dict[str, Any]]]
) -> Iterator[bytes]:
    """A Parquet file of ``pages`` as bytes, a row group per page (snappy-compressed).

    No pages gives a valid file with the schema and no rows.
    """
    sink = _Sink()
    writer = pq.ParquetWriter(sink, schema(columns), compression="snappy")
    try:
        for page in pages:
            if page:
                writer.write_table(table(columns, page), row_group_size=len(page))
                yield sink.take()
    finally:
        writer.close()
    yield sink.take()
