"""Benchmark: importing the 1,391-candidate demo campaign, split into its stages.

Run: .venv/bin/python bench/imports.py [--repeat 3] [--render 300]

Everything is measured in the same run, so the ratios hold on a noisy machine:
  raw JWS        plain compact JWS signing of the campaign's payloads (the baseline)
  parse/validate reading the CSV and validating every row against the catalog (no database)
  import         ``tessera import`` without rendering: parse, validate, look up what is
                 already issued, sign and store, per-row report, committed in chunks (SQLite)
  render         the bundle's per-holder files (badge PNG, PDF certificate, .jwt) for
                 ``--render`` holders, in 1 and in 2 worker processes; the 2-process pool
                 also renders half as many, which splits its start-up from its rate
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import tempfile
import time
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import ec
from issuance import run_jws_baseline  # bench/issuance.py: the same baseline
from sqlalchemy import select

from issuer.campaigns.bundle import render_pool
from issuer.campaigns.demo import campaign_requests, catalog_data, load_catalog_data
from issuer.campaigns.import_run import ImportRequest, run_import, start_import
from issuer.campaigns.results_file import open_results_file
from issuer.campaigns.rows import RowValidator
from issuer.config import Settings
from issuer.credentials.catalog import load_catalog
from issuer.credentials.issuance import issue_credentials
from issuer.documents.credential_document import credential_document
from issuer.keys.keystore import create_signing_key
from issuer.runtime import prepare_process
from issuer.services import Services
from issuer.store import migration
from issuer.store.audit import Actor
from issuer.store.engine import create_db_engine, create_session_factory, session_scope
from issuer.store.identity import store_base_url
from issuer.store.models import Credential

BASE_URL = "https://certs.example.org"
PASSPHRASE = "bench-passphrase-0123456789"
LEVEL_ZH = {"junior": "初级", "intermediate": "中级", "senior": "高级"}


def write_campaign(path: Path) -> None:
    lines = ["姓名,工号,职业代码,等级,单位,考试日期,考场,成绩,结果"]
    for r in campaign_requests(catalog_data()):
        lines.append(
            f"{r.holder_name},{r.employee_number},{r.occupation},{LEVEL_ZH[r.level]},{r.unit},"
            f"{r.exam_date.isoformat()},{r.exam_session},{int(r.score or 0)},合格"
        )
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")


def make_services(workdir: Path, run: int) -> Services:
    settings = Settings(
        database_url=f"sqlite:///{workdir / f'import-{run}.db'}",
        keys_dir=workdir / f"keys-{run}",
        key_passphrase=PASSPHRASE,
        base_url=BASE_URL,
        rate_limit="off",
    )
    engine = create_db_engine(settings.database_url)
    migration.upgrade(engine)
    with session_scope(create_session_factory(engine)) as session:
        store_base_url(session, BASE_URL, now=dt.datetime.now(dt.UTC))
    engine.dispose()
    services = Services.from_settings(settings)
    with session_scope(services.sessions) as session:
        load_catalog_data(session, catalog_data())
        create_signing_key(
            session, settings.keys_dir, PASSPHRASE.encode(), "ES256", now=services.clock()
        )
    return services


def time_parse(services: Services, path: Path) -> float:
    with services.sessions() as session:
        catalog = load_catalog(session)
    start = time.perf_counter()
    with RowValidator(catalog) as validator:
        results = open_results_file(path)
        rows = sum(1 for row in results.rows() if validator.validate(row) is not None)
    elapsed = time.perf_counter() - start
    assert rows == 1391
    return elapsed


def time_import(services: Services, path: Path) -> float:
    request = ImportRequest(path=path, filename=path.name, dry_run=False, actor=Actor("bench"))
    start = time.perf_counter()
    with session_scope(services.sessions) as session:
        job = start_import(session, request, max_rows=100_000, now=services.clock())
    job = run_import(services, job.id, request)
    elapsed = time.perf_counter() - start
    assert job.issued == 1391
    return elapsed


def time_issue_only(services: Services) -> float:
    """``issue_credentials`` for the whole campaign in one transaction: no file, no report."""
    requests = campaign_requests(catalog_data())
    start = time.perf_counter()
    with session_scope(services.sessions) as session:
        issue_credentials(
            session,
            requests,
            issuer=services.issuer(session),
            actor=Actor("bench"),
            now=services.clock(),
            exactly_once=True,
        )
    return time.perf_counter() - start


def time_render(services: Services, count: int, workers: int) -> float:
    with services.sessions() as session:
        rows = session.scalars(select(Credential).limit(count))
        docs = [
            credential_document(r, base_url=BASE_URL, issuer_name="Bench / Bench") for r in rows
        ]
    start = time.perf_counter()
    with render_pool(workers) as render:
        rendered = sum(len(files) for files in render(docs))
    elapsed = time.perf_counter() - start
    assert rendered == 3 * len(docs)
    return elapsed


def main() -> None:
    prepare_process()  # as `tessera import` and each server worker do after start-up
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--render", type=int, default=300, help="holders rendered per run")
    args = parser.parse_args()
    parse, imports, jws, render1, render2, issue_only = [], [], [], [], [], []
    render2_half: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        path = workdir / "campaign.csv"
        write_campaign(path)
        for run in range(args.repeat):
            services = make_services(workdir, run)
            parse.append(time_parse(services, path))
            imports.append(time_import(services, path))
            issue_only.append(time_issue_only(make_services(workdir, run + 100)))
            with services.sessions() as session:
                tokens = list(session.scalars(select(Credential.jws)))
                signer = services.signer(session)
            assert isinstance(signer.private_key, ec.EllipticCurvePrivateKey)
            jws.append(run_jws_baseline(signer.private_key, tokens))
            render1.append(time_render(services, args.render, 1))
            render2.append(time_render(services, args.render, 2))
            render2_half.append(time_render(services, args.render // 2, 2))
            services.engine.dispose()
    p, i, j = (statistics.median(x) for x in (parse, imports, jws))
    r1, r2 = statistics.median(render1), statistics.median(render2)
    n = args.render
    # Two sizes on 2 processes split the pool's start-up from the rate once it runs.
    steady2 = (r2 - statistics.median(render2_half)) / (n - n // 2)
    startup2 = r2 - n * steady2
    print(f"credentials                   1391  (median of {args.repeat} runs)")
    print(f"raw compact JWS signing       {j * 1000:8.1f} ms")
    print(f"parse and validate (CSV)      {p * 1000:8.1f} ms")
    print(f"import, no rendering          {i * 1000:8.1f} ms  ({1391 / i:,.0f}/s)")
    print(f"  of which sign, store, report{(i - p) * 1000:8.1f} ms")
    print(f"ratio import / raw JWS        {i / j:8.2f}x  (target <= 4x)")
    k = statistics.median(issue_only)
    print(f"issue_credentials alone       {k * 1000:8.1f} ms  ({k / j:.2f}x raw JWS)")
    print(f"import overhead over it       {(i - k) * 1000:8.1f} ms  (chunks, look-ups, report)")
    print(
        f"render, 1 process             {r1 / n * 1000:8.1f} ms/holder  ({n / r1:,.1f} holders/s)"
    )
    print(
        f"render, 2 processes           {r2 / n * 1000:8.1f} ms/holder  ({n / r2:,.1f} holders/s)"
    )
    print(f"render speed-up, 2 vs 1       {r1 / r2:8.2f}x  ({n} holders, pool start-up included)")
    print(f"  2-process pool start-up     {startup2:8.2f} s")
    print(
        f"  2 processes, once started   {steady2 * 1000:8.1f} ms/holder  ({r1 / n / steady2:.2f}x)"
    )
    print(f"campaign render estimate      {startup2 + 1391 * steady2:8.1f} s with 2 processes")


if __name__ == "__main__":
    main()
