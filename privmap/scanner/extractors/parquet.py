"""Apache Parquet (pyarrow, the `parquet` extra): the schema, and sampled rows of each column as a table.

The file is read by random access (its footer holds the schema and row-group index), one row
group at a time, until scan.rows_per_table rows are sampled; nested and binary columns are
read as their text form.
"""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow.parquet as pq

from privmap.model import Blob, Table
from privmap.scanner.extractors.base import Context, Part, open_file


class ParquetExtractor:
    media_types = frozenset({"application/vnd.apache.parquet"})
    reads = "file"

    def extract(self, blob: Blob, ctx: Context) -> Iterator[Part]:
        limit = ctx.scan.rows_per_table
        with open_file(blob, ctx) as fh:
            parquet = pq.ParquetFile(fh)
            columns = parquet.schema_arrow.names
            rows: list[tuple[object, ...]] = []
            for index in range(parquet.num_row_groups):
                group = parquet.read_row_group(index).to_pylist()
                rows.extend(tuple(record.get(c) for c in columns) for record in group[: limit - len(rows)])
                if len(rows) >= limit:
                    break
            yield Table(blob.location, columns, rows, parquet.metadata.num_rows)
