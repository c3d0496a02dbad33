"""QR packing: a whole compact JWS in the fragment of a verify URL, losslessly.

A QR code holds ``<base>/c#<packed>``. ``<packed>`` is ASCII digits, so a QR writer puts it
in a numeric segment (3.33 bits a digit) after the URL prefix in a byte segment:

    packed  = version digit + decimal(B as a big-endian unsigned integer)
    B       = form byte + the header's variable part + signature + raw DEFLATE of the rest

    form 1  header is {"alg":"ES256","kid":K,"typ":"vc+jwt"}, K the base64url of 32 bytes
    form 2  the same with "alg":"EdDSA"
            B = form || kid (32 bytes) || signature (64 bytes) || DEFLATE(payload)
    form 3  any other header
            B = 3 || signature length (2 bytes) || signature || DEFLATE(len(header) (2 bytes)
                || header || payload)

DEFLATE is raw (RFC 1951, no zlib wrapper) with the preset dictionary of the version the
first digit names (``verifier/data/qr-packing-v<N>.dict``): a typical credential's JSON text
and the vocabulary credentials share, so what every credential repeats costs a
back-reference. Packing writes ``VERSION`` (2: the credential text of decision 0053, with the
undefined-terms context); unpacking reads every version in ``DICTIONARIES``, so a code printed
with version 1 keeps verifying. A dictionary is frozen once published. The header, payload
and signature are the exact bytes the issuer signed, so ``unpack_credential`` rebuilds the
byte-exact token (base64url is canonical, RFC 7515 §2).
B never starts with a zero byte, so the decimal form is unambiguous; only its canonical
spelling (no leading zeros) is accepted. Format: docs/credential-format.md.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import zlib
from importlib import resources
from typing import Final
from urllib.parse import urlsplit

from verifier.encoding import b64url_decode, b64url_encode
from verifier.errors import CredentialErrorCode, LocatorError, MalformedError
from verifier.jws import MAX_TOKEN_CHARS

VERSION: Final = 2
"""The version ``pack_credential`` writes."""
PACKED_PATH: Final = "/c"
DICTIONARIES: Final = {
    version: resources.files("verifier").joinpath(f"data/qr-packing-v{version}.dict").read_bytes()
    for version in (1, 2)
}
"""Every version's dictionary: what ``unpack_credential`` reads (docs/credential-format.md)."""
DICTIONARY: Final = DICTIONARIES[VERSION]
DICTIONARY_SHA256: Final = hashlib.sha256(DICTIONARY).hexdigest()
MAX_PACKED_DIGITS: Final = 7_089
"""The most digits any QR code holds (version 40-L, numeric mode): longer is not a scan."""

_FIXED_FORMS: Final = {1: "ES256", 2: "EdDSA"}
_FORM_OF_ALGORITHM: Final = {alg: form for form, alg in _FIXED_FORMS.items()}
_GENERIC_FORM: Final = 3
_KID_BYTES: Final = 32
_SIGNATURE_BYTES: Final = 64
_DIGIT_CHUNK: Final = 1_000  # below CPython's int/str conversion limit (4,300 digits)
_LOG10_2: Final = 0.30102999566398120


def _fixed_header(algorithm: str, kid: str) -> bytes:
    return f'{{"alg":"{algorithm}","kid":"{kid}","typ":"vc+jwt"}}'.encode("ascii")


def _deflate(data: bytes, dictionary: bytes) -> bytes:
    # memLevel 6: a 1/8 of the state of 9, whose 256 KiB buffers were mapped and unmapped on
    # every call (about 4x the compression itself). A credential is far smaller than the
    # buffers either way, so the output is the same in practice (all 1,391 demo credentials;
    # tests pin the published vectors); and any valid stream unpacks.
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15, 6, zlib.Z_DEFAULT_STRATEGY, dictionary)
    return compressor.compress(data) + compressor.flush()


def _inflate(data: bytes, dictionary: bytes = DICTIONARY) -> bytes:
    decompressor = zlib.decompressobj(-15, zdict=dictionary)
    try:
        out = decompressor.decompress(data, MAX_TOKEN_CHARS)
    except zlib.error:
        raise _invalid("the packed credential does not decompress") from None
    if decompressor.unconsumed_tail or not decompressor.eof or decompressor.unused_data:
        raise _invalid("the packed credential is truncated, too large or has trailing data")
    return out


def _invalid(message: str) -> LocatorError:
    return LocatorError(message, code=CredentialErrorCode.INVALID_PACKED_CREDENTIAL)


def _to_digits(number: int) -> str:
    chunks: list[str] = []
    while number:
        number, chunk = divmod(number, 10**_DIGIT_CHUNK)
        chunks.append(str(chunk))
    if not chunks:
        return "0"
    # Every chunk but the most significant is zero-padded to its full width.
    return chunks[-1] + "".join(c.zfill(_DIGIT_CHUNK) for c in reversed(chunks[:-1]))


def _from_digits(digits: str) -> int:
    number = 0
    for start in range(0, len(digits), _DIGIT_CHUNK):
        chunk = digits[start : start + _DIGIT_CHUNK]
        number = number * 10 ** len(chunk) + int(chunk)
    return number


def _pack_parts(header: bytes, payload: bytes, signature: bytes, version: int) -> bytes:
    dictionary = DICTIONARIES.get(version)
    if dictionary is None:
        raise _invalid("unknown QR packing version")
    form, kid_bytes = _header_form(header)
    if form != _GENERIC_FORM and len(signature) == _SIGNATURE_BYTES:
        return bytes([form]) + kid_bytes + signature + _deflate(payload, dictionary)
    if len(header) > 0xFFFF or len(signature) > 0xFFFF:
        raise _invalid("the token is too large to pack")
    return (
        bytes([_GENERIC_FORM])
        + len(signature).to_bytes(2, "big")
        + signature
        + _deflate(len(header).to_bytes(2, "big") + header + payload, dictionary)
    )


@functools.lru_cache(maxsize=64)
def _header_form(header: bytes) -> tuple[int, bytes]:
    """(form, raw kid) of a fixed-form header, else (3, b""): an issuer signs with few."""
    try:
        parsed_kid = header.split(b'"kid":"', 1)[1].split(b'"', 1)[0].decode("ascii")
        kid_bytes = b64url_decode(parsed_kid)
    except (IndexError, UnicodeDecodeError, MalformedError):
        return _GENERIC_FORM, b""
    for form, algorithm in _FIXED_FORMS.items():
        if len(kid_bytes) == _KID_BYTES and header == _fixed_header(algorithm, parsed_kid):
            return form, kid_bytes
    return _GENERIC_FORM, b""


def _packed_bytes(token: str, *, version: int, check_canonical: bool = True) -> bytes:
    parts = token.split(".")
    if len(parts) != 3:
        raise _invalid("only a compact JWS can be packed")
    decoded = []
    for part in parts:
        try:
            raw = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
        except (binascii.Error, ValueError):
            raise _invalid("only a compact JWS can be packed") from None
        # Re-encoding gives the part back only if it was canonical base64url: lossless.
        if check_canonical and b64url_encode(raw) != part:
            raise _invalid("the token is not canonical base64url and cannot be packed")
        decoded.append(raw)
    header, payload, signature = decoded
    return _pack_parts(header, payload, signature, version)


def pack_credential(token: str, *, version: int = VERSION) -> str:
    """The packed (digits-only) form of a compact JWS; ``LocatorError`` if it is not one.

    ``version`` is the current one unless a test reproduces an older published vector. The
    result is checked by unpacking it: packing never yields a form that does not give back
    the byte-exact token.
    """
    number = int.from_bytes(_packed_bytes(token, version=version), "big")
    packed = f"{version}{_to_digits(number)}"
    if unpack_credential(packed) != token:  # pragma: no cover - a packing bug, not input
        raise _invalid("the token does not survive packing")
    return packed


def packed_length(token: str, *, version: int = VERSION) -> int:
    """``len(pack_credential(token))`` for a token ``pack_credential`` accepts, computed
    without building the digits or checking the round trip."""
    return _digit_count(_packed_bytes(token, version=version, check_canonical=False))


def packed_length_of(
    header: bytes, payload: bytes, signature: bytes, *, version: int = VERSION
) -> int:
    """``packed_length`` of the token with these decoded parts, without encoding or decoding
    base64url: the issuance-time size check, on the bytes the issuer has just signed."""
    return _digit_count(_pack_parts(header, payload, signature, version))


def _digit_count(packed: bytes) -> int:
    number = int.from_bytes(packed, "big")
    digits = int((number.bit_length() - 1) * _LOG10_2) + 1
    return 1 + (digits + 1 if number >= 10**digits else digits)


def unpack_credential(unverified_packed: str) -> str:
    """The compact JWS a packed form carries; ``LocatorError`` for anything else."""
    packed = unverified_packed.strip()
    if len(packed) > MAX_PACKED_DIGITS or not packed.isascii() or not packed.isdigit():
        raise _invalid("a packed credential is at most 7,089 ASCII digits")
    version = int(packed[0]) if packed else 0
    if version not in DICTIONARIES:
        raise _invalid("unknown QR packing version")
    dictionary = DICTIONARIES[version]
    digits = packed[1:]
    if not digits or digits[0] == "0":
        raise _invalid("the packed digits are not canonical")
    number = _from_digits(digits)
    data = number.to_bytes((number.bit_length() + 7) // 8, "big")
    form, rest = data[0], data[1:]
    if form in _FIXED_FORMS:
        if len(rest) < _KID_BYTES + _SIGNATURE_BYTES:
            raise _invalid("the packed credential is truncated")
        kid = b64url_encode(rest[:_KID_BYTES])
        header = _fixed_header(_FIXED_FORMS[form], kid)
        signature = rest[_KID_BYTES : _KID_BYTES + _SIGNATURE_BYTES]
        payload = _inflate(rest[_KID_BYTES + _SIGNATURE_BYTES :], dictionary)
    elif form == _GENERIC_FORM:
        signature_length = int.from_bytes(rest[:2], "big")
        if len(rest) < 2 + signature_length:
            raise _invalid("the packed credential is truncated")
        signature = rest[2 : 2 + signature_length]
        body = _inflate(rest[2 + signature_length :], dictionary)
        header_length = int.from_bytes(body[:2], "big")
        if len(body) < 2 + header_length:
            raise _invalid("the packed credential is truncated")
        header, payload = body[2 : 2 + header_length], body[2 + header_length :]
    else:
        raise _invalid("unknown header form in the packed credential")
    return ".".join(b64url_encode(part) for part in (header, payload, signature))


def packed_verify_url(base_url: str, token: str) -> str:
    """What a QR code holds: the verify page of ``base_url`` with the packed credential."""
    return f"{base_url.rstrip('/')}{PACKED_PATH}#{pack_credential(token)}"


def packed_credential_in(unverified_text: str) -> str | None:
    """The packed digits a submission carries (a packed verify URL, or the digits alone).

    ``None`` when the text is something else (a compact JWS, a ``/v/<id>`` verify URL).
    """
    text = unverified_text.strip()
    lowered = text[:8].lower()
    if lowered.startswith(("http://", "https://")):
        try:
            fragment = urlsplit(text).fragment
        except ValueError:
            return None
        return fragment if fragment and fragment.isascii() and fragment.isdigit() else None
    return text if text.isascii() and text.isdigit() else None
