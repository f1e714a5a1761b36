"""A Spark query's result as Arrow record batches, streamed to the driver one partition at a
time: never the whole result at once.

`DataFrame.toArrow()` collects every partition before it returns, so the driver holds the
whole result (and `spark.driver.maxResultSize` caps it). Here each partition's Arrow batches
are serialised by the executors (`mapInArrow`, Arrow IPC in a binary column) and fetched
one job per partition in partition order (`_partitions`): an ordered query's rows arrive in
order, and the driver holds one partition's batches at a time. The executors need only
pyarrow, which Spark's Arrow support needs anyway.
"""
from __future__ import annotations

from typing import Iterator

import pyarrow as pa

_BLOB = "__segdsl_arrow"


def naive(batch: pa.RecordBatch) -> pa.RecordBatch:
    """Datetimes as wall-clock (naive) values: the session runs in UTC (spark_session.py)."""
    if not any(pa.types.is_timestamp(t) and t.tz is not None for t in batch.schema.types):
        return batch
    fields = [pa.field(f.name, pa.timestamp("us")) if pa.types.is_timestamp(f.type) and f.type.tz is not None
              else f for f in batch.schema]
    return batch.cast(pa.schema(fields))


def arrow_batches(df) -> Iterator[pa.RecordBatch]:
    """The rows of `df` as Arrow record batches, in the DataFrame's order, one partition
    held at a time."""
    blob = _BLOB

    def encode(batches):
        # runs on the executors, defined here so that it travels by value: they need no segdsl
        import pyarrow as pa
        for batch in batches:
            sink = pa.BufferOutputStream()
            with pa.ipc.new_stream(sink, batch.schema) as writer:
                writer.write_batch(batch)
            yield pa.RecordBatch.from_arrays([pa.array([sink.getvalue().to_pybytes()], pa.binary())], names=[blob])

    for blob in _partitions(df.mapInArrow(encode, f"`{_BLOB}` binary")):
        reader = pa.ipc.open_stream(blob)
        for batch in reader:
            yield naive(batch)


def _partitions(blobs) -> Iterator[bytes]:
    """Each partition's blobs, one job per partition, in partition order. A classic session
    runs the jobs itself (`SparkContext.runJob`): its `toLocalIterator` keeps each call's RDDs
    and accumulators in the driver's heap, some 0.2 MiB a call, which a long-lived process
    would feel. Spark Connect iterates on the server."""
    from .spark_session import is_connect_object
    if is_connect_object(blobs):
        for row in blobs.toLocalIterator(prefetchPartitions=False):
            yield row[0]
        return
    context, rdd = blobs.sparkSession.sparkContext, blobs.rdd

    def cells(rows):
        # defined here so that it travels by value, as `encode` does
        return [r[0] for r in rows]
    for i in range(rdd.getNumPartitions()):
        yield from context.runJob(rdd, cells, [i])


def arrow_rows(df) -> Iterator[dict]:
    """The rows of `df` as dicts of Python values (as pyarrow gives them), in order."""
    for batch in arrow_batches(df):
        yield from batch.to_pylist()


def empty_table(df) -> pa.Table:
    """A table with `df`'s columns and no rows (the types Spark's Arrow conversion gives)."""
    from pyspark.sql.pandas.types import to_arrow_schema
    schema = to_arrow_schema(df.schema, timezone="UTC")
    return pa.Table.from_batches([], schema=schema).cast(pa.schema(
        [pa.field(f.name, pa.timestamp("us")) if pa.types.is_timestamp(f.type) else f for f in schema]))
