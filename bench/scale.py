"""Benchmark: how Tessera's costs grow with size, on PostgreSQL, one section per part.

Run: .venv/bin/python bench/scale.py postgresql://postgres@127.0.0.1:5432/postgres
         [--sections import,reads,render] [--import-sizes 2000,200000] [--large 1000000] ...

The URL names a PostgreSQL server (a role that may create databases) and a database to
connect to while scratch databases are made; each section drops its own at the end. Sections:

- ``import`` (bench/scale_import.py): per-row import cost at each of ``--import-sizes`` and
  the ratio of the largest to the smallest (target <= 1.3x), and the importing process's
  peak RSS at each size (it must not grow with the rows).
- ``reads`` (bench/scale_reads.py): ``POST /api/v1/verify`` throughput at the demo's 1,391
  credentials and at ``--large`` credentials and their ratio (memo off), and the register's
  search p50/p95 by each kind of query at that size.
- ``render`` (bench/scale_render.py): a ``--render-holders`` bundle rendered by 1, 2 (and,
  with 4 or more cores, 4) ``tessera worker`` processes, and the speed-up of each over one
  (target: 2 workers >= 1.8x).

Figures are ratios within one run: the absolute times depend on what else the machine does.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
from collections.abc import Callable

from scale_import import import_section
from scale_reads import reads
from scale_render import report_render, run_render

from issuer.runtime import prepare_process


def imports(server: str, args: argparse.Namespace) -> None:
    sizes = [int(size) for size in args.import_sizes.split(",")]
    import_section(server, sizes, args.chunk_rows)


def render(server: str, args: argparse.Namespace) -> None:
    counts = [int(n) for n in args.render_workers.split(",")]
    timings = run_render(server, args.render_holders, counts, args.render_chunk)
    print("\n".join(report_render(timings, args.render_holders)))


SECTIONS: dict[str, Callable[[str, argparse.Namespace], None]] = {
    "import": imports,
    "reads": reads,
    "render": render,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", help="postgresql://... of a server (scratch databases go there)")
    parser.add_argument("--sections", default=",".join(SECTIONS), help="comma-separated")
    parser.add_argument(
        "--import-sizes", default="2000,200000", help="import: row counts, smallest first"
    )
    parser.add_argument("--chunk-rows", type=int, default=500, help="import: rows a batch")
    parser.add_argument("--large", type=int, default=1_000_000, help="reads: credentials in all")
    parser.add_argument("--duration", type=int, default=10, help="reads: seconds of wrk")
    parser.add_argument("--tries", type=int, default=100, help="reads: searches per kind")
    parser.add_argument("--rounds", type=int, default=3, help="reads: wrk rounds per size")
    parser.add_argument("--explain", action="store_true", help="reads: print query plans")
    parser.add_argument("--keep", action="store_true", help="keep the scratch databases")
    parser.add_argument(
        "--reads-prefix", default="tessera_scale_reads", help="reads: its databases' name"
    )
    parser.add_argument("--render-holders", type=int, default=2000, help="render: holders")
    parser.add_argument(
        "--render-workers",
        default="1,2,4" if (os.cpu_count() or 1) >= 4 else "1,2",
        help="render: worker counts to compare",
    )
    parser.add_argument("--render-chunk", type=int, default=50, help="render: holders per job")
    args = parser.parse_args()
    prepare_process()
    sections = args.sections.split(",")
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections: {', '.join(sorted(unknown))}")
    print(f"PostgreSQL, {os.cpu_count()} CPUs; {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC")
    for section in sections:
        SECTIONS[section](args.url, args)


if __name__ == "__main__":
    main()
