"""A holder's photo for the printed certificate: personal data, sealed, never signed.

A photo identifies a person as well as a national ID does, so it is kept out of everything
that travels or is public: the credential, the badges, the share page and the logs
(decision 0052). It is printed on the certificate the registrar hands over, and nowhere
else. On the way in each photo is bounded (``MAX_PHOTO_BYTES``, ``MAX_PHOTO_PIXELS``),
decoded by Pillow as PNG or JPEG only, turned upright by its EXIF orientation, reduced to
at most ``PHOTO_SIZE`` and written again as a JPEG with no metadata: the camera, the place
and the time the sender's file carried are gone. The JPEG is then sealed with AES-256-GCM
under a key derived from the key passphrase for this purpose only, bound to the holder's
row (``issuer.keys.sealed``): a database dump alone shows no face.
"""

from __future__ import annotations

import datetime as dt
import io
import warnings

from PIL import Image, ImageOps
from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer.credentials.images import UNREADABLE_IMAGE_ERRORS
from issuer.errors import InvalidInputError, IssuerErrorCode, NotFoundError
from issuer.keys.sealed import seal_bytes, unseal_bytes
from issuer.store.audit import Actor, record_event
from issuer.store.models import Credential, Holder, HolderPhoto, Unit
from issuer.vocabulary import AuditAction

MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_PHOTO_PIXELS = 40_000_000  # a 50-megapixel camera's file is refused, a phone's is not
PHOTO_SIZE = (600, 800)  # at most, width x height: 3:4 at about 500 dpi in a 30 x 40 mm box
JPEG_QUALITY = 85
PHOTO_PURPOSE = "tessera holder photo"
PHOTO_FILE_TYPES = (".jpg", ".jpeg", ".png")
_FORMATS = ("PNG", "JPEG")


class PhotoError(InvalidInputError):
    """The photo is not a readable PNG or JPEG, or is too large in bytes or pixels."""

    code = IssuerErrorCode.INVALID_IMAGE


def clean_photo(data: bytes) -> bytes:
    """``data`` decoded and written again as a small JPEG without metadata; ``PhotoError``
    for anything else, over ``MAX_PHOTO_BYTES`` or over ``MAX_PHOTO_PIXELS``."""
    if len(data) > MAX_PHOTO_BYTES:
        raise PhotoError(f"the photo is larger than {MAX_PHOTO_BYTES // (1024 * 1024)} MiB")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=_FORMATS) as image:
                width, height = image.size
                if width * height > MAX_PHOTO_PIXELS:
                    raise PhotoError(
                        f"the photo has more than {MAX_PHOTO_PIXELS:,} pixels ({width} x {height})"
                    )
                image.draft("RGB", PHOTO_SIZE)  # a JPEG decodes at a reduced scale: faster
                upright = ImageOps.exif_transpose(image)
                upright.load()
                if upright.mode in ("RGBA", "LA", "PA", "P"):
                    rgba = upright.convert("RGBA")
                    pixels = Image.new("RGB", rgba.size, "white")  # transparency on paper
                    pixels.paste(rgba, mask=rgba.getchannel("A"))
                else:
                    pixels = upright.convert("RGB")
    except PhotoError:
        raise
    except UNREADABLE_IMAGE_ERRORS:
        raise PhotoError("the photo is not a readable PNG or JPEG image") from None
    pixels.thumbnail(PHOTO_SIZE, Image.Resampling.LANCZOS)
    out = io.BytesIO()
    pixels.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)  # no EXIF, no ICC
    return out.getvalue()


def _bound_to(holder_id: str) -> str:
    return f"holder:{holder_id}"


def find_holder(session: Session, employee_number: str) -> Holder:
    """The holder with ``employee_number``; ``NotFoundError`` if none."""
    if not employee_number or len(employee_number) > 64 or "\x00" in employee_number:
        raise NotFoundError("no holder has that employee number")  # what no row could hold
    holder = session.scalar(select(Holder).where(Holder.employee_number == employee_number))
    if holder is None:
        raise NotFoundError("no holder has that employee number")
    return holder


def holder_units(session: Session, holder_id: str) -> set[str]:
    """The codes of the units that issued the holder's credentials (who may set a photo)."""
    query = (
        select(Unit.code)
        .join(Credential, Credential.unit_id == Unit.id)
        .where(Credential.holder_id == holder_id)
        .distinct()
    )
    return set(session.scalars(query))


def set_holder_photo(
    session: Session,
    holder: Holder,
    data: bytes,
    *,
    passphrase: bytes,
    actor: Actor,
    now: dt.datetime,
) -> None:
    """Clean ``data``, seal it and store it as ``holder``'s photo, replacing any; audited as
    ``holder.photo_set`` with the photo's size in pixels, never its bytes."""
    jpeg = clean_photo(data)
    sealed = seal_bytes(passphrase, PHOTO_PURPOSE, jpeg, bound_to=_bound_to(holder.id))
    row = session.get(HolderPhoto, holder.id)
    replaced = row is not None
    if row is None:
        session.add(HolderPhoto(holder_id=holder.id, sealed_jpeg=sealed, updated_at=now))
    else:
        row.sealed_jpeg, row.updated_at = sealed, now
    session.flush()
    with Image.open(io.BytesIO(jpeg)) as image:
        width, height = image.size
    record_event(
        session,
        actor,
        AuditAction.HOLDER_PHOTO_SET,
        f"holder:{holder.id}",
        now=now,
        details={"width": width, "height": height, "replaced": replaced},
    )


def delete_holder_photo(
    session: Session, holder: Holder, *, actor: Actor, now: dt.datetime
) -> None:
    """Remove ``holder``'s photo; ``NotFoundError`` when there is none. Audited."""
    row = session.get(HolderPhoto, holder.id)
    if row is None:
        raise NotFoundError("this holder has no photo")
    session.delete(row)
    session.flush()
    record_event(session, actor, AuditAction.HOLDER_PHOTO_DELETE, f"holder:{holder.id}", now=now)


def open_holder_photo(session: Session, holder_id: str, *, passphrase: bytes) -> bytes | None:
    """The holder's photo as a JPEG, or ``None`` when there is none."""
    row = session.get(HolderPhoto, holder_id)
    if row is None:
        return None
    return unseal_bytes(passphrase, PHOTO_PURPOSE, row.sealed_jpeg, bound_to=_bound_to(holder_id))


def open_holder_photos(
    session: Session, holder_ids: list[str], *, passphrase: bytes
) -> dict[str, bytes]:
    """The photos of those of ``holder_ids`` who have one, by holder id (a bundle's worth)."""
    found: dict[str, bytes] = {}
    for start in range(0, len(holder_ids), 500):
        chunk = holder_ids[start : start + 500]
        for row in session.scalars(select(HolderPhoto).where(HolderPhoto.holder_id.in_(chunk))):
            found[row.holder_id] = unseal_bytes(
                passphrase, PHOTO_PURPOSE, row.sealed_jpeg, bound_to=_bound_to(row.holder_id)
            )
    return found
