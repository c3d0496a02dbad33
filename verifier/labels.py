"""The names of a certificate's fields, in Chinese and English: one vocabulary everywhere.

The printed certificate (``issuer/documents/certificate.py``), the holder's share page, the
verify page (``verifier/web/page.py``) and docs/verifier-api.md all name a field with the
label here, so an employer reads ``证书编号`` on the paper, on the screen and in the API's
documentation for the same thing. The verifier holds them because it is the lowest layer:
the issuer imports the verifier, never the other way round.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class Label:
    """A field's name in Chinese and in English."""

    zh: str
    en: str


HOLDER_NAME: Final = Label("持证人姓名", "Holder name")
EMPLOYEE_NUMBER: Final = Label("工号", "Employee No.")
OCCUPATION: Final = Label("职业", "Occupation")
LEVEL: Final = Label("等级", "Level")
ACHIEVEMENT: Final = Label("职业及等级", "Occupation and level")
OCCUPATION_CODE: Final = Label("职业代码", "Occupation code")
UNIT: Final = Label("单位", "Unit")
ISSUER: Final = Label("发证机构", "Issuer")
CERTIFICATE_NUMBER: Final = Label("证书编号", "Certificate No.")
EXAM_DATE: Final = Label("考试日期", "Exam date")
DATE_OF_ISSUE: Final = Label("发证日期", "Date of issue")
VALID_FROM: Final = Label("生效日期", "Valid from")
VALID_UNTIL: Final = Label("有效期至", "Valid until")
CREDENTIAL_ID: Final = Label("凭证标识", "Credential ID")
SIGNING_KEY: Final = Label("签名密钥", "Signing key")

PRINTED: Final = (
    HOLDER_NAME,
    EMPLOYEE_NUMBER,
    OCCUPATION,
    OCCUPATION_CODE,
    LEVEL,
    UNIT,
    CERTIFICATE_NUMBER,
    EXAM_DATE,
    DATE_OF_ISSUE,
    VALID_UNTIL,
)
"""The fields of the printed certificate, in the order it prints them."""

API_FIELDS: Final = {
    "holder_name": HOLDER_NAME,
    "employee_number": EMPLOYEE_NUMBER,
    "achievement_name": ACHIEVEMENT,
    "achievement_code": OCCUPATION_CODE,
    "unit_name": UNIT,
    "issuer_name": ISSUER,
    "certificate_number": CERTIFICATE_NUMBER,
    "exam_date": EXAM_DATE,
    "awarded_date": DATE_OF_ISSUE,
    "valid_from": VALID_FROM,
    "valid_until": VALID_UNTIL,
    "credential_id": CREDENTIAL_ID,
    "key_id": SIGNING_KEY,
}
"""The ``credential`` fields of a verification result (docs/verifier-api.md) and their labels."""
