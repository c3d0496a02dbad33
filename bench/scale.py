"""Benchmark: how Tessera's costs grow with size on PostgreSQL, one section per concern.

Run: .venv/bin/python bench/scale.py postgresql://postgres@127.0.0.1:5432/postgres \\
         [--sections render] [--render-holders 2000] [--render-workers 1,2]

Each section makes its own scratch database on that server and drops it afterwards. Figures
from one run are compared with each other (ratios), so they hold on a busy machine.
  render   a bundle rendered by 1, 2 (and, with more cores, 4) ``tessera worker`` processes
"""

from __future__ import annotations

import argparse
import os

from scale_render import report_render, run_render

from issuer.runtime import prepare_process

SECTIONS = ("render",)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("postgres_url", help="a PostgreSQL server (any database on it)")
    parser.add_argument("--sections", default=",".join(SECTIONS), help="comma-separated")
    parser.add_argument("--render-holders", type=int, default=2000)
    parser.add_argument(
        "--render-workers",
        default="1,2,4" if (os.cpu_count() or 1) >= 4 else "1,2",
        help="worker counts to compare, comma-separated",
    )
    parser.add_argument("--render-chunk", type=int, default=50, help="holders per job")
    args = parser.parse_args()
    prepare_process()
    sections = [s.strip() for s in args.sections.split(",") if s.strip()]
    if "render" in sections:
        counts = [int(n) for n in args.render_workers.split(",")]
        timings = run_render(args.postgres_url, args.render_holders, counts, args.render_chunk)
        print("\n".join(report_render(timings, args.render_holders)))


if __name__ == "__main__":
    main()
