"""The names of a certificate's fields, in Chinese and English: one vocabulary everywhere.

The printed certificate (``issuer/documents/certificate.py``), the holder's share page, the
verify page (``verifier/web/page.py``) and docs/verifier-api.md all name a field with the
label here, so an employer reads ``证书编号`` on the paper, on the screen and in the API's
documentation for the same thing. The words themselves are in the message catalogues under
``field.*`` keys (verifier/i18n.py): a label is a key, and ``.zh`` and ``.en`` read it, so the
words are corrected in one place per language. The verifier holds them because it is the
lowest layer: the issuer imports the verifier, never the other way round.
"""

from __future__ import annotations

from typing import Final

from verifier.i18n import Words


class Label(Words):
    """A field's name: a ``field.*`` catalogue key, read in Chinese, English or both."""


# A literal key in each call, so tests/verifier/test_catalogues.py sees every one.
HOLDER_NAME: Final = Label("field.holder_name")
EMPLOYEE_NUMBER: Final = Label("field.employee_number")
OCCUPATION: Final = Label("field.occupation")
LEVEL: Final = Label("field.level")
ACHIEVEMENT: Final = Label("field.achievement")
OCCUPATION_CODE: Final = Label("field.occupation_code")
UNIT: Final = Label("field.unit")
ISSUER: Final = Label("field.issuer")
ISSUER_ID: Final = Label("field.issuer_id")
CERTIFICATE_NUMBER: Final = Label("field.certificate_number")
EXAM_DATE: Final = Label("field.exam_date")
EXAM_SESSION: Final = Label("field.exam_session")
SCORE: Final = Label("field.score")
DATE_OF_ISSUE: Final = Label("field.date_of_issue")
ISSUED_AT: Final = Label("field.issued_at")
VALID_FROM: Final = Label("field.valid_from")
VALID_UNTIL: Final = Label("field.valid_until")
DESCRIPTION: Final = Label("field.description")
CRITERIA: Final = Label("field.criteria")
CREDENTIAL_ID: Final = Label("field.credential_id")
SIGNING_KEY: Final = Label("field.signing_key")
HOLDER_EMAIL: Final = Label("field.holder_email")

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
    "achievement_description": DESCRIPTION,
    "criteria_narrative": CRITERIA,
}
"""The ``credential`` fields of a verification result (docs/verifier-api.md) and their labels."""
