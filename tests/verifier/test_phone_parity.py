"""One table, two verifiers: the in-page JavaScript verifier (run in Node with its built-in
WebCrypto) and the Python ``Verifier`` give the same verdict, failed check and error code on
every case of tests/verifier/phone_cases.py: the QR packing vectors, the W3C VC-JOSE-COSE
vectors, Tessera credentials in every state and the attack cases. The page's own DEFLATE and
GZIP decoder gives zlib's answer on streams zlib wrote and on damaged copies of them.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import verifier
from tests.verifier.phone_cases import (
    all_cases,
    javascript_inflate,
    javascript_verdicts,
    python_verdict,
    require_node,
    zlib_answer,
    zlib_streams,
)
from verifier.errors import CredentialErrorCode
from verifier.qr_packing import DICTIONARIES
from verifier.result import CredentialStatus
from verifier.verdict import VERDICT_BY_CODE


def test_javascript_and_python_verifiers_agree_on_every_case() -> None:
    require_node()
    cases = all_cases()
    assert len({c.name for c in cases}) == len(cases)
    javascript = javascript_verdicts(cases)
    python = {c.name: python_verdict(c) for c in cases}
    disagreements = {n: (python[n], javascript[n]) for n in python if python[n] != javascript[n]}
    assert disagreements == {}
    # The table reaches every verdict a packed link can give (not_found needs a look-up).
    seen = {status for status, _check, _error in python.values()}
    assert seen == {s.value for s in CredentialStatus} - {"not_found", "superseded"}
    assert python["valid-packed-link"] == ("valid", None, None)
    assert python["revoked-packed"] == ("revoked", "status", "revoked")
    # A code printed with format version 1 keeps verifying; v2 digits read as v1 do not.
    assert python["valid-packed-v1-link"] == ("valid", None, None)
    assert python["packed-version-1-of-v2-digits"][2] == "invalid_packed_credential"
    assert python["valid-kid-url"] == python["valid-kid-url-packed"] == ("valid", None, None)
    for name in ("valid-two-contexts", "valid-three-contexts", "valid-three-contexts-packed"):
        assert python[name] == ("valid", None, None), name
    assert python["open-badge-without-its-context"][1:] == ("credential", "invalid_property")
    assert python["kid-url-of-another-host"] == ("invalid", "key", "key_not_found")
    assert python["kid-url-not-a-key-id"] == ("invalid", "key", "key_not_found")


def test_the_page_reads_every_packing_version_python_reads() -> None:
    require_node()
    module = Path(verifier.__file__).parent / "web" / "static" / "verify-format.mjs"
    script = (
        f"import {{ PACKING_VERSIONS }} from {json.dumps(module.as_uri())};"
        "console.log(JSON.stringify(PACKING_VERSIONS));"
    )
    completed = subprocess.run(
        ["node", "--input-type=module", "-e", script],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert json.loads(completed.stdout) == sorted(DICTIONARIES)


def test_page_inflate_gives_zlibs_answer_on_every_stream() -> None:
    require_node()
    streams = zlib_streams()
    expected = [zlib_answer(data, is_gzip) for data, is_gzip in streams]
    assert javascript_inflate(streams) == expected
    # Both kinds of answer occur: whole streams and refused ones.
    assert sum(e is None for e in expected) > 50
    assert sum(e is not None for e in expected) > 200


def test_javascript_verdict_table_is_pythons_for_every_error_code() -> None:
    require_node()
    core = Path(verifier.__file__).parent / "web" / "static" / "verify-core.mjs"
    codes = [code.value for code in CredentialErrorCode]
    script = (
        f"import {{ verdictFor }} from {json.dumps(core.as_uri())};"
        f"console.log(JSON.stringify({json.dumps(codes)}.map(verdictFor)));"
    )
    run = subprocess.run(
        ["node", "--input-type=module", "-e", script],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    javascript = dict(zip(codes, json.loads(run.stdout), strict=True))
    assert javascript == {code.value: verdict.value for code, verdict in VERDICT_BY_CODE.items()}
