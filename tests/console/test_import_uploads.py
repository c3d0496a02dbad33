"""A dry run's kept file: private, claimed by one confirmation only, deleted when stale."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from pathlib import Path

import pytest

from issuer.campaigns import uploads
from issuer.config import Settings
from issuer.errors import ConflictError, IssuerErrorCode
from tests.issuer.campaign_files import HEADER_EN, csv_bytes


def _settings(tmp_path: Path) -> Settings:
    return Settings(import_upload_dir=tmp_path / "uploads", form_token_ttl_seconds=3600)


def _kept(settings: Settings, body: bytes = b"x") -> tuple[str, Path]:
    dry_run_id = str(uuid.uuid4())
    with uploads.new_upload(settings) as (path, handle):
        handle.write(body)
    return dry_run_id, uploads.keep(settings, path, dry_run_id)


def test_a_kept_file_and_its_directory_are_private(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    previous = os.umask(0)
    try:
        _dry_run_id, path = _kept(settings)
    finally:
        os.umask(previous)
    assert path.stat().st_mode & 0o777 == 0o600
    assert settings.import_upload_dir.stat().st_mode & 0o777 == 0o700


def test_only_one_confirmation_claims_the_file(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    dry_run_id, _path = _kept(settings, b"results")
    claimed = uploads.claim(settings, dry_run_id)
    assert claimed.read_bytes() == b"results"
    assert not uploads.is_kept(settings, dry_run_id)
    with pytest.raises(ConflictError) as refused:
        uploads.claim(settings, dry_run_id)
    assert refused.value.code == IssuerErrorCode.IMPORT_FILE_GONE
    uploads.unclaim(settings, claimed, dry_run_id)  # a confirmation that failed gives it back
    assert uploads.is_kept(settings, dry_run_id)


def test_stale_files_are_deleted_and_nothing_else(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    old_id, old = _kept(settings)
    _new_id, new = _kept(settings)
    stranger = settings.import_upload_dir / "notes.txt"
    stranger.write_text("not ours")
    now = dt.datetime.now(dt.UTC)
    hours_ago = (now - dt.timedelta(hours=2)).timestamp()
    for path in (old, stranger):
        os.utime(path, (hours_ago, hours_ago))
    assert uploads.purge_expired_uploads(settings, now) == 1
    assert not old.exists()
    assert new.exists()
    assert stranger.exists()
    assert not uploads.is_kept(settings, old_id)


def test_the_report_reads_holders_from_the_kept_file(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    rows = [["王小明", "E-0001", "x", "x", "U01", "x", "x", "x", "passed"]]
    rows += [["", "", "", "", "", "", "", "", ""], [" 李娜 ", "E-0002", "", "", "", "", "", "", ""]]
    _id, path = _kept(settings, csv_bytes(rows, HEADER_EN).encode("utf-8"))
    assert uploads.row_holders(path, [2, 4]) == {2: ("王小明", "E-0001"), 4: ("李娜", "E-0002")}
    assert uploads.row_holders(path, []) == {}
