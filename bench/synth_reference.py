"""Benchmark: the vectorised reference generator against plain Faker ``vi_VN``, row by row.

Generates N people (default 1,000,000) with their households and the enterprises, products and
sales of the same world, timed end to end (Parquet written), with a progress bar. Faker then
generates the same twelve people columns one row at a time on a sample (default 20,000 rows),
builds a DataFrame and writes it as Parquet; its time is extrapolated LINEARLY to N (row-by-row
generation is linear in the rows; Faker's fixed set-up, about a millisecond, is scaled with the
rest) and the ratios reported, in wall-clock and in CPU time (ours counts its worker processes):
like for like, against our run that writes the people table only (``tables=("people",)``; the
households are drawn with the people either way), and against our end-to-end run of all seven
tables (which favours Faker).

Run: ``.venv/bin/python bench/synth_reference.py [--people 1000000] [--workers 2]``.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
from faker import Faker

from synthetic import generate_reference
from synthetic.reference import EDUCATION_LEVELS, OCCUPATIONS

__all__ = ["faker_people", "main"]

TARGET_SECONDS = 60.0
TARGET_RATIO = 20.0


def faker_people(rows: int, seed: int) -> pd.DataFrame:
    """The people table's columns made the plain way: Faker ``vi_VN``, one row at a time."""
    fake = Faker("vi_VN")
    Faker.seed(seed)
    records = []
    for index in range(rows):
        male = fake.boolean()
        records.append(
            {
                "person_id": f"P{index + 1:09d}",
                "cccd": fake.numerify("0##0########"),
                "full_name": fake.name_male() if male else fake.name_female(),
                "sex": "M" if male else "F",
                "birth_date": fake.date_of_birth(minimum_age=0, maximum_age=95),
                "household_id": f"H{fake.random_int(0, rows // 3):07d}",
                "commune_code": fake.numerify("#####"),
                "education": fake.random_element(EDUCATION_LEVELS),
                "occupation": fake.random_element(OCCUPATIONS),
                "monthly_income_vnd": fake.random_int(0, 40_000) * 1000,
                "employer_id": f"E{fake.random_int(1, rows // 40):07d}",
                "phone": fake.phone_number(),
            }
        )
    return pd.DataFrame.from_records(records)


def _cpu_seconds() -> float:
    """CPU seconds of this process and its finished children (worker processes)."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def _timed(function, *args, **kwargs):  # type: ignore[no-untyped-def]
    """(result, wall seconds, CPU seconds) of one call."""
    start, cpu = time.perf_counter(), _cpu_seconds()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - start, _cpu_seconds() - cpu


def main() -> None:
    """Run the benchmark and print its report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--chunk-size", type=int, default=50_000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--faker-rows", type=int, default=20_000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        faker_run = lambda: faker_people(args.faker_rows, args.seed).to_parquet(Path(tmp) / "faker.parquet")
        options = {"chunk_size": args.chunk_size, "workers": args.workers}
        _, faker_before, faker_cpu_before = _timed(faker_run)
        paths, ours, ours_cpu = _timed(
            generate_reference, args.people, args.seed, Path(tmp) / "reference", progress=True, **options
        )
        rows = {name: pq.ParquetFile(path).metadata.num_rows for name, path in paths.items()}
        size = sum(path.stat().st_size for path in paths.values())
        _, people_only, people_cpu = _timed(
            generate_reference, args.people, args.seed, Path(tmp) / "people", tables=("people",), **options
        )
        _, faker_after, faker_cpu_after = _timed(faker_run)
    faker_seconds, faker_cpu = (faker_before + faker_after) / 2, (faker_cpu_before + faker_cpu_after) / 2
    scale = args.people / args.faker_rows
    faker_full, faker_full_cpu = faker_seconds * scale, faker_cpu * scale
    load = os.getloadavg()
    print(f"machine: {os.cpu_count()} cores, {platform.python_version()}, load average {load[0]:.2f} {load[1]:.2f}")
    if load[0] > (os.cpu_count() or 1):
        print("note: the machine is busy with other work (load above its cores); timings are pessimistic")
    print(
        f"reference generator, all seven tables: {args.people:,} people in {ours:.1f} s wall, {ours_cpu:.1f} s CPU "
        f"(workers={args.workers}, chunk={args.chunk_size:,})"
    )
    print(
        "  rows: " + ", ".join(f"{name} {count:,}" for name, count in rows.items()) + f"; {size / 1e6:.0f} MB Parquet"
    )
    verdict = "meets" if ours <= TARGET_SECONDS else "MISSES"
    print(
        f"  target {TARGET_SECONDS:.0f} s for 1M people on 2 cores: {verdict} it ({ours / TARGET_SECONDS:.0%} of target)"
    )
    print(f"reference generator, people table only: {people_only:.1f} s wall, {people_cpu:.1f} s CPU")
    print(
        f"Faker vi_VN row by row: {args.faker_rows:,} people in {faker_seconds:.2f} s wall, {faker_cpu:.2f} s CPU "
        "(mean of one run before and one after ours)"
    )
    print(
        f"  extrapolated LINEARLY to {args.people:,}: {faker_full:.0f} s wall, {faker_full_cpu:.0f} s CPU "
        "(the people table's twelve columns)"
    )
    runs = (("people table vs people table", people_only, people_cpu), ("all tables vs people", ours, ours_cpu))
    for what, wall, cpu in runs:
        for label, value in (("wall-clock", faker_full / wall), ("CPU-time", faker_full_cpu / cpu)):
            verdict = "met" if value >= TARGET_RATIO else "NOT met"
            print(f"speed-up, {what} ({label}): {value:.1f}× (target ≥ {TARGET_RATIO:.0f}×: {verdict})")

if __name__ == "__main__":
    main()
