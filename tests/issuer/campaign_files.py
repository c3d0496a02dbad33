"""Exam-results files for import tests, written from the demo campaign's requests."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from pathlib import Path

import openpyxl

from issuer.campaigns.demo import campaign_requests, catalog_data
from issuer.credentials.issuance import IssueRequest

HEADER_ZH = ["姓名", "工号", "职业代码", "等级", "单位", "考试日期", "考场", "成绩", "结果"]
HEADER_EN = ["name", "employee_number", "occupation", "level", "unit", "exam_date"]
HEADER_EN += ["exam_session", "score", "result"]
LEVEL_ZH = {"junior": "初级", "intermediate": "中级", "senior": "高级"}


def campaign() -> list[IssueRequest]:
    return campaign_requests(catalog_data())


def request_row(request: IssueRequest, *, chinese: bool = True) -> list[str]:
    return [
        request.holder_name,
        request.employee_number,
        request.occupation,
        LEVEL_ZH[request.level] if chinese else request.level,
        request.unit,
        request.exam_date.isoformat(),
        request.exam_session,
        str(int(request.score or 0)),
        "合格" if chinese else "passed",
    ]


def csv_bytes(rows: Iterable[Sequence[str]], header: Sequence[str] = HEADER_ZH) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def write_csv(
    path: Path,
    rows: Iterable[Sequence[str]],
    *,
    header: Sequence[str] = HEADER_ZH,
    encoding: str = "utf-8",
) -> Path:
    path.write_bytes(csv_bytes(rows, header).encode(encoding))
    return path


def write_xlsx(
    path: Path, rows: Iterable[Sequence[str]], header: Sequence[str] = HEADER_EN
) -> Path:
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("results")
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    book.save(path)
    return path
