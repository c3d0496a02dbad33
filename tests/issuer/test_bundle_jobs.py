"""Bundles as jobs in-process (SQLite's path, and PostgreSQL with TESSERA_TASK_RUNNER=
in_process): progress by chunk, cancellation's refusals, and a chunk that fails midway."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from typer.testing import CliRunner

from issuer.campaigns.bundle_chunks import (
    assemble_bundle,
    render_bundle_chunk,
    render_serially,
)
from issuer.cli.main import app as tessera
from issuer.config import Settings
from issuer.documents.credential_document import CredentialDocument
from issuer.services import Services
from issuer.store.models import BundleChunk, ImportJob, ShareLink
from tests.issuer.helpers import cli_env, import_campaign, plan_campaign_bundle, run_cli

HOLDERS = 7


def test_bundle_progress_counts_chunks_and_a_finished_bundle_cannot_be_cancelled(
    client: TestClient, services: Services, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    import_id = import_campaign(services, tmp_path, HOLDERS)
    before = client.get(f"/api/v1/imports/{import_id}", headers=admin_headers).json()
    assert before["bundle_progress"] == {"chunks_done": 0, "chunks_total": 0}
    cancel = client.post(f"/api/v1/imports/{import_id}/bundle/cancel", headers=admin_headers)
    assert cancel.status_code == 409
    assert cancel.json()["code"] == "bundle_not_building"
    started = client.post(f"/api/v1/imports/{import_id}/bundle", headers=admin_headers)
    assert started.status_code == 202
    read = client.get(f"/api/v1/imports/{import_id}", headers=admin_headers).json()
    assert read["bundle_state"] == "ready"
    chunks = -(-HOLDERS // services.settings.bundle_chunk_size)
    assert read["bundle_progress"] == {"chunks_done": chunks, "chunks_total": chunks}
    archive = zipfile.ZipFile(
        io.BytesIO(
            client.get(f"/api/v1/imports/{import_id}/bundle.zip", headers=admin_headers).content
        )
    )
    assert len(archive.namelist()) == 3 * HOLDERS + 1
    cancel = client.post(f"/api/v1/imports/{import_id}/bundle/cancel", headers=admin_headers)
    assert cancel.status_code == 409
    unknown = client.post("/api/v1/imports/not-an-id/bundle/cancel", headers=admin_headers)
    assert unknown.status_code == 404


def test_a_chunk_that_fails_midway_commits_no_share_link_and_its_retry_completes(
    services: Services, tmp_path: Path
) -> None:
    import_id = import_campaign(services, tmp_path, HOLDERS)
    plan = plan_campaign_bundle(services, import_id, chunk_size=3)
    assert plan.chunks == 3

    def dies_after_two(documents: list[CredentialDocument]) -> Iterable[list[tuple[str, bytes]]]:
        for number, files in enumerate(render_serially(documents)):
            if number == 2:
                raise RuntimeError("the worker went away")
            yield files

    with pytest.raises(RuntimeError):
        render_bundle_chunk(services, plan.run_id, 0, render=dies_after_two)
    with services.read_sessions() as session:
        assert session.scalar(select(func.count()).select_from(ShareLink)) == 0
        assert not session.scalars(
            select(BundleChunk.done_at).where(BundleChunk.run_id == plan.run_id)
        ).first()
    assert assemble_bundle(services, plan.run_id) is None  # not every chunk is done
    for chunk in range(plan.chunks):
        assert render_bundle_chunk(services, plan.run_id, chunk)
    assert not render_bundle_chunk(services, plan.run_id, 0)  # done already: nothing twice
    path = assemble_bundle(services, plan.run_id)
    assert path is not None
    names = zipfile.ZipFile(path).namelist()
    assert len(names) == len(set(names)) == 3 * HOLDERS + 1
    with services.read_sessions() as session:
        assert session.scalar(select(func.count()).select_from(ShareLink)) == HOLDERS
        assert session.get_one(ImportJob, import_id).bundle_state == "ready"


def test_tessera_bundle_renders_here_and_worker_or_queue_need_postgresql(
    services: Services, settings: Settings, tmp_path: Path
) -> None:
    """``tessera bundle`` renders in its own process on either database; ``tessera worker``
    and ``--on-workers`` refuse SQLite, and on PostgreSQL ``--on-workers`` queues a job per
    chunk (tests/issuer/test_bundle_workers.py runs them)."""
    import_id = import_campaign(services, tmp_path, HOLDERS)
    bundle_dir = tmp_path / "cli-bundles"
    env = {**cli_env(settings), "TESSERA_BUNDLE_DIR": str(bundle_dir)}
    here = CliRunner().invoke(tessera, ["bundle", import_id, "--workers", "1"], env=env)
    assert here.exit_code == 0, here.output
    names = zipfile.ZipFile(bundle_dir / f"import-{import_id}.zip").namelist()
    assert len(names) == 3 * HOLDERS + 1
    status, _output = run_cli(settings, "worker", "--heartbeat", "5", "--stalled-after", "2")
    assert status != 0  # a worker would count itself stalled between its own heartbeats
    queued = CliRunner().invoke(
        tessera,
        ["bundle", import_id, "--on-workers"],
        env={**env, "TESSERA_BUNDLE_CHUNK_SIZE": "2"},
    )
    with services.read_sessions() as session:
        job = session.get_one(ImportJob, import_id)
    if services.engine.dialect.name == "sqlite":
        status, output = run_cli(settings, "worker")
        assert status == 1
        assert "PostgreSQL" in output
        assert queued.exit_code != 0
        assert job.bundle_state == "ready"  # the refusal changed nothing
    else:
        assert queued.exit_code == 0, queued.output
        assert "4 jobs" in queued.output
        assert (job.bundle_state, job.bundle_chunks) == ("building", 4)
        with services.read_sessions() as session:
            todo = session.scalar(
                text(
                    "SELECT count(*) FROM procrastinate_jobs "
                    "WHERE status = 'todo' AND args->>'run_id' = :run"
                ),
                {"run": job.bundle_run},
            )
        assert todo == 4
