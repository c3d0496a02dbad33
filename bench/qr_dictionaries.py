"""Measurement: packed QR size of the demo campaign with each packing dictionary (decision 0053).

Run: .venv/bin/python bench/qr_dictionaries.py [--base-url https://certs.example.org]

Issues the 1,391 demo credentials (as bench/qr.py does), then reports, over all of them, the
packed digits and the QR version (ECC M, ``<base>/c#`` prefix) of three forms:
  before      the credential text before decision 0053 (no undefined-terms context; the
              same payload with that one context removed) packed with dictionary v1
  v1          today's credential packed with dictionary v1 (had the dictionary stayed)
  v2          today's credential packed with dictionary v2 (what issuance writes)
Only sizes are compared: the "before" form is not re-signed, its signature bytes are kept.
"""

from __future__ import annotations

import argparse
import collections
import json
import statistics
import tempfile
from pathlib import Path

from qr import issue_campaign

from issuer.credentials.qr import version_for
from verifier.encoding import b64url_decode
from verifier.format import UNDEFINED_TERMS_CONTEXT
from verifier.qr_packing import PACKED_PATH, packed_length_of

_LAST_CONTEXT = f',"{UNDEFINED_TERMS_CONTEXT}"]'.encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default="https://certs.example.org")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tokens = issue_campaign(Path(tmp), args.base_url)
    prefix = len(f"{args.base_url}{PACKED_PATH}#".encode())
    digits: dict[str, list[int]] = collections.defaultdict(list)
    for token in tokens:
        header, payload, signature = (b64url_decode(part) for part in token.split("."))
        assert json.loads(payload)["@context"][-1] == UNDEFINED_TERMS_CONTEXT
        before = payload.replace(_LAST_CONTEXT, b"]", 1)
        digits["before"].append(packed_length_of(header, before, signature, version=1))
        digits["v1"].append(packed_length_of(header, payload, signature, version=1))
        digits["v2"].append(packed_length_of(header, payload, signature, version=2))
    print(f"{len(tokens)} credentials, base URL {args.base_url}")
    for form, counts in digits.items():
        versions = collections.Counter(version_for(prefix, n) for n in counts)
        print(
            f"  {form:7} digits min {min(counts)} median {statistics.median(counts):.0f} "
            f"max {max(counts)}   QR versions {dict(sorted(versions.items()))}"
        )


if __name__ == "__main__":
    main()
