"""Delta Lake (deltalake) against one Parquet file per partition, for the warehouse, on a local disk and on S3.

The operations the pipeline does: write a day's partition (ingest), re-write one day (a re-run),
read every partition (the health report, exports), and delete one person's rows (erasure).
Each is timed in the same run for both formats; ratios are Delta / Parquet. S3 is moto's server on
loopback, started here.

    python -m benchmarks.table_format --days 365 --rows 200
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from benchmarks.common import best_of, write_results
from curata.sessions.tables import VALIDATED_SESSIONS
from curata.storage import S3Connection, Store
from curata.warehouse import Warehouse

WORK = Path(__file__).resolve().parent / ".work" / "table_format"
TABLE = VALIDATED_SESSIONS.name


def day_table(day: int, rows: int, rng: np.random.Generator) -> pa.Table:
    """A day of validated sessions with realistic column sizes; one pseudonym in 50 rows is 'the person'."""
    date = f"2025-{1 + day // 28 % 12:02d}-{1 + day % 28:02d}-{day // 336}"
    hashes = [uuid.UUID(int=int(x)).hex * 2 for x in rng.integers(0, 2**63, size=rows)]
    people = [f"p{int(x):031d}" for x in rng.integers(0, 500, size=rows)]
    columns = {f.name: None for f in VALIDATED_SESSIONS.columns}
    columns |= {
        "session_id": [f"session-{day}-{i}" for i in range(rows)],
        "session_folder": [f"session-{day}-{i}" for i in range(rows)],
        "partition_date": [date] * rows,
        "timestamp": pa.array(np.full(rows, 1_736_000_000_000 + day * 86_400_000), pa.timestamp("ms", tz="UTC")),
        "instruction": ["make it a modern farmhouse with a black door"] * rows,
        "user_pseudonym": people,
        "pseudonym_key_id": ["k-0123456789ab"] * rows,
        "original_path": [f"sessions/s{day}-{i}/original.jpg" for i in range(rows)],
        "original_sha256": hashes,
        "edited_path": [f"sessions/s{day}-{i}/reimagined.jpg" for i in range(rows)],
        "edited_sha256": hashes[::-1],
        "pair_key": hashes,
        "content_key": hashes,
    }
    for name in ("original_width", "edited_width"):
        columns[name] = pa.array(np.full(rows, 1024), pa.int32())
    for name in ("original_height", "edited_height"):
        columns[name] = pa.array(np.full(rows, 768), pa.int32())
    for name in ("original_bytes", "edited_bytes"):
        columns[name] = pa.array(np.full(rows, 250_000), pa.int64())
    return pa.table(columns, schema=VALIDATED_SESSIONS.schema.remove_metadata())


class ParquetFormat:
    name = "one Parquet file per partition"

    def __init__(self, store: Store):
        self.warehouse = Warehouse(store)

    def write(self, day: str, table: pa.Table) -> None:
        self.warehouse.write(TABLE, table, day)

    def read_all(self) -> int:
        return self.warehouse.read_all(TABLE).num_rows

    def delete_person(self, pseudonym: str) -> int:
        """Full scan: read each partition's pseudonyms, rewrite the partitions that hold the person."""
        removed = 0
        for day in self.warehouse.partitions(TABLE):
            people = self.warehouse.read(TABLE, day, ["user_pseudonym"]).column("user_pseudonym")
            hits = pc.sum(pc.equal(people, pseudonym)).as_py() or 0
            if hits:
                table = self.warehouse.read(TABLE, day)
                self.warehouse.write(TABLE, table.filter(pc.not_equal(table["user_pseudonym"], pseudonym)), day)
                removed += hits
        return removed


class DeltaFormat:
    name = "Delta Lake (deltalake)"

    def __init__(self, uri: str, options: dict[str, str] | None):
        self.uri, self.options = uri, options

    def write(self, day: str, table: pa.Table) -> None:
        from deltalake import write_deltalake

        write_deltalake(
            self.uri,
            table,
            partition_by=["partition_date"],
            mode="overwrite",
            predicate=f"partition_date = '{day}'",
            storage_options=self.options,
        )

    def read_all(self) -> int:
        from deltalake import DeltaTable

        return DeltaTable(self.uri, storage_options=self.options).to_pyarrow_table().num_rows

    def delete_person(self, pseudonym: str) -> int:
        from deltalake import DeltaTable

        metrics = DeltaTable(self.uri, storage_options=self.options).delete(f"user_pseudonym = '{pseudonym}'")
        return int(metrics["num_deleted_rows"])


def measure(fmt, tables: dict[str, pa.Table], person: str) -> dict[str, float]:
    start = time.perf_counter()
    for day, table in tables.items():
        fmt.write(day, table)
    written = time.perf_counter() - start
    some_day, table = next(iter(tables.items()))
    return {
        "write every day (s)": written,
        "re-write one day (s)": best_of(3, lambda: fmt.write(some_day, table)),
        "read every day (s)": best_of(3, fmt.read_all),
        "delete one person (s)": best_of(1, lambda: fmt.delete_person(person)),
    }


def moto(port: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(2)
    return server


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--rows", type=int, default=200)
    parser.add_argument("--s3-days", type=int, default=60, help="fewer days on S3: moto is slow per request")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    tables = {f"day-{d:03d}": day_table(d, args.rows, rng) for d in range(args.days)}
    tables = {t.column("partition_date")[0].as_py(): t for t in tables.values()}
    person = tables[next(iter(tables))].column("user_pseudonym")[0].as_py()
    shutil.rmtree(WORK, ignore_errors=True)
    results: dict[str, dict[str, dict[str, float]]] = {"local": {}, "s3": {}}
    results["local"]["parquet"] = measure(ParquetFormat(Store.at(WORK / "parquet")), tables, person)
    results["local"]["delta"] = measure(DeltaFormat(str(WORK / "delta"), None), tables, person)

    server = moto(5190)
    try:
        conn = S3Connection("http://127.0.0.1:5190", "us-east-1", "test", "test")
        conn.client().create_bucket(Bucket="bench")
        s3_tables = dict(list(tables.items())[: args.s3_days])
        results["s3"]["parquet"] = measure(ParquetFormat(Store.at("s3://bench/parquet", conn)), s3_tables, person)
        options = {
            "AWS_ENDPOINT_URL": conn.endpoint_url,
            "AWS_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_ALLOW_HTTP": "true",
            "AWS_S3_ALLOW_UNSAFE_RENAME": "true",  # one writer in this benchmark; see docs/storage.md
        }
        results["s3"]["delta"] = measure(DeltaFormat("s3://bench/delta", options), s3_tables, person)
    finally:
        server.terminate()
    lines = ["| where | operation | Parquet per partition | Delta Lake | Delta / Parquet |", "|---|---|---|---|---|"]
    for where, by_format in results.items():
        for op in by_format["parquet"]:
            p, d = by_format["parquet"][op], by_format["delta"][op]
            lines.append(f"| {where} | {op} | {p:.3f} | {d:.3f} | {d / p:.2f}x |")
    days = f"{args.days} days x {args.rows} rows locally, {args.s3_days} days on S3 (moto on loopback)"
    md = write_results(
        "table_format", {"days": args.days, "rows": args.rows, "results": results}, days + "\n\n" + "\n".join(lines)
    )
    print(md.read_text())


if __name__ == "__main__":
    main()
