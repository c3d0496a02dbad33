"""What the import pages say, in both languages: row outcomes, reasons, columns, states.

Registrars read sentences, not codes: every reason a row check can give
(``issuer.campaigns.rows.REASONS``) and every code a whole file can be refused with has one
sentence here (the tests hold both lists to it). The codes stay beside the words, small,
so a registrar can look them up in docs/import-format.md.
"""

from __future__ import annotations

from typing import NamedTuple


class Words(NamedTuple):
    zh: str
    en: str


# What happened to a row (``import_rows.status``); ``ok`` is a dry run's "would issue".
ROW_STATUS = {
    "ok": Words("将签发", "Would issue"),
    "issued": Words("已签发", "Issued"),
    "already_issued": Words("此前已签发，不再重复", "Issued before: not again"),
    "not_passed": Words("未通过考试，不签发", "Not passed: nothing to issue"),
    "invalid": Words("有错误，不签发", "Error: not issued"),
}

# Why a row was refused (``import_rows.reason``): one sentence for each code of
# issuer/campaigns/rows.py REASONS.
ROW_REASONS = {
    "missing_value": Words("此项为必填，但单元格为空。", "This cell is required but empty."),
    "bad_encoding": Words(
        "单元格含有无法识别的字节（请以 UTF-8 或 GB18030 保存）。",
        "The cell holds bytes that are not text (save the file as UTF-8 or GB18030).",
    ),
    "invalid_characters": Words(
        "单元格含有控制字符、换行或看不见的字符。",
        "The cell holds a control character, a line break or an invisible character.",
    ),
    "value_too_long": Words("内容超过此列允许的长度。", "The value is longer than allowed."),
    "invalid_date": Words(
        "不是有效日期（例如 2026-10-14）。", "Not a valid date (for example 2026-10-14)."
    ),
    "invalid_score": Words("成绩应为 0 到 1000 之间的数字。", "The score must be 0 to 1000."),
    "invalid_national_id": Words(
        "身份证号应为 18 位且校验位正确。",
        "The national ID must be 18 characters with a valid check digit.",
    ),
    "invalid_email": Words(
        "不是一个有效的电子邮箱地址。", "Not one e-mail address such as name@example.org."
    ),
    "unknown_level": Words(
        "等级应为 初级、中级 或 高级。", "The level must be junior, intermediate or senior."
    ),
    "unknown_occupation": Words(
        "目录中没有此职业代码或名称。", "No occupation with this code or name in the catalog."
    ),
    "level_not_offered": Words(
        "目录中此职业不设此等级。", "The catalog does not offer this occupation at this level."
    ),
    "unknown_unit": Words("没有此单位代码或名称。", "No unit with this code or name."),
    "unknown_result": Words(
        "考试结果应为 合格 或 不合格。", "The result must be passed or failed."
    ),
    "unit_not_allowed": Words(
        "您无权为此单位签发证书。", "You may not issue credentials for this unit."
    ),
    "duplicate_row": Words(
        "同一工号和考场已在前面的行中出现。",
        "The same employee number and exam session appear on an earlier row.",
    ),
    "holder_name_mismatch": Words(
        "此工号已对应另一个姓名（前面的行或已有记录），请核对；已有证书的更正请用补发。",
        "This employee number has another name (an earlier row or the register); "
        "correct an issued name by reissue.",
    ),
    "conflicts_with_other_unit": Words(
        "此行与您单位以外的记录冲突，请联系管理员。",
        "This row collides with a record outside your units; ask an administrator.",
    ),
}

# The file's columns (issuer/campaigns/results_file.py COLUMNS), as the report names them.
COLUMNS = {
    "name": Words("姓名", "Name"),
    "employee_number": Words("工号", "Employee number"),
    "national_id": Words("身份证号", "National ID"),
    "birth_date": Words("出生日期", "Birth date"),
    "occupation": Words("职业", "Occupation"),
    "level": Words("等级", "Level"),
    "unit": Words("单位", "Unit"),
    "exam_date": Words("考试日期", "Exam date"),
    "exam_session": Words("考场", "Exam session"),
    "score": Words("成绩", "Score"),
    "email": Words("电子邮箱", "E-mail"),
    "result": Words("结果", "Result"),
}

# Why a whole file was refused before any row was read (issuer/campaigns/results_file.py,
# import_run.py, the upload itself).
FILE_ERRORS = {
    "empty_file": Words("文件为空或没有标题行。", "The file is empty or has no header row."),
    "missing_columns": Words(
        "缺少必需的列（姓名、工号、职业、等级、单位、考试日期、考场、结果）。",
        "Required columns are missing (name, employee number, occupation, level, unit, "
        "exam date, exam session, result).",
    ),
    "duplicate_column": Words(
        "标题行中有一列出现了两次。", "A column appears twice in the header."
    ),
    "malformed_file": Words(
        "文件已损坏或不是 CSV / XLSX 文件。", "The file is damaged or not a CSV or XLSX file."
    ),
    "unsafe_xml": Words(
        "XLSX 文件含有不安全的内容，已拒绝。", "The XLSX file holds unsafe content: refused."
    ),
    "file_too_large": Words("文件太大。", "The file is too large."),
    "body_too_large": Words("文件太大。", "The file is too large."),
    "too_many_columns": Words("列数太多。", "The file has too many columns."),
    "too_many_rows": Words("行数太多，请拆分文件。", "The file has too many rows: split it."),
    "missing_file": Words("请选择一个文件。", "Choose a file."),
    "unsupported_file": Words("请上传 CSV 或 XLSX 文件。", "Upload a CSV or XLSX file."),
}

IMPORT_STATES = {
    "running": Words("进行中", "Running"),
    "done": Words("已完成", "Done"),
    "failed": Words("失败", "Failed"),
}

BUNDLE_STATES = {
    None: Words("未生成", "Not built"),
    "building": Words("正在生成", "Building"),
    "ready": Words("可下载", "Ready"),
    "failed": Words("生成失败", "Failed"),
    "expired": Words("已过期删除", "Expired and deleted"),
}

UNKNOWN = Words("未知", "Unknown")


def words(table: dict[str, Words] | dict[str | None, Words], code: str | None) -> Words:
    """The words for ``code``; a code without words reads "Unknown" (the tests forbid it)."""
    return table.get(code, UNKNOWN)  # type: ignore[arg-type]
