"""The SD-JWT VC type metadata that ``vct`` resolves to (draft-ietf-oauth-sd-jwt-vc
"SD-JWT VC Type Metadata"): the type's display names and its claims, each with labels in
Chinese and English (words from the catalogues) and whether it is selectively disclosable.
"""

from __future__ import annotations

from typing import Any, Final

from verifier.i18n import Lang, text
from verifier.urls import IssuerUrls

# (claim path, catalogue key of its label, "sd": always / never / allowed)
_CLAIMS: Final = (
    (("holder_name",), "field.holder_name", "never"),
    (("occupation",), "field.occupation", "never"),
    (("occupation", "code"), "field.occupation_code", "never"),
    (("level",), "field.level", "never"),
    (("issuer_name",), "field.issuer", "never"),
    (("unit",), "field.unit", "never"),
    (("certificate_number",), "field.certificate_number", "never"),
    (("score",), "field.score", "always"),
    (("exam_session",), "field.exam_session", "always"),
    (("exam_date",), "field.exam_date", "always"),
    (("employee_number",), "field.employee_number", "always"),
    (("birth_date",), "field.birth_date", "always"),
)
# BCP 47 tags the metadata's display entries carry, per catalogue.
_LANGUAGES: Final = ((Lang.ZH, "zh-CN"), (Lang.EN, "en"))


def sd_jwt_vc_type_metadata(base_url: str) -> dict[str, Any]:
    """The type metadata document served at the ``vct`` URL."""
    return {
        "vct": IssuerUrls(base_url).sd_jwt_vc_type,
        "name": text("sd_jwt_vc.type.name", Lang.EN),
        "description": text("sd_jwt_vc.type.description", Lang.EN),
        "display": [
            {
                "lang": tag,
                "name": text("sd_jwt_vc.type.name", lang),
                "description": text("sd_jwt_vc.type.description", lang),
            }
            for lang, tag in _LANGUAGES
        ],
        "claims": [
            {
                "path": list(path),
                "display": [{"lang": tag, "label": text(key, lang)} for lang, tag in _LANGUAGES],
                "sd": sd,
            }
            for path, key, sd in _CLAIMS
        ],
    }
