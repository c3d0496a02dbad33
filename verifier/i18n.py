"""Every word a person reads, from one catalogue per language.

The catalogues are gettext ``.po`` files, ``verifier/locales/<lang>/LC_MESSAGES/messages.po``,
read with Babel at first use. A message id is a stable key (``field.holder_name``), not
English text: the English catalogue is a translation like the Chinese one, so both can be
corrected without touching code, and a key missing from either catalogue is caught by
``tests/verifier/test_catalogues.py`` before any page renders it.

A page shows both languages together unless one is chosen (``choose_lang``): ``?lang=zh`` or
``?lang=en``, else an ``Accept-Language`` that accepts one of them and not the other
(docs/decisions/0047-languages.md). The verifier holds the catalogues because it is the lowest
layer: the issuer imports the verifier, never the other way round.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from html import escape
from pathlib import Path
from typing import Final

from babel.messages.pofile import read_po

LOCALES: Final = Path(__file__).parent / "locales"
DOMAIN: Final = "messages"


class Lang(StrEnum):
    """Which language a page speaks: both together (the default), or one."""

    BOTH = "both"
    ZH = "zh"
    EN = "en"


ONE_LANGUAGE: Final = (Lang.ZH, Lang.EN)


class MissingTextError(KeyError):
    """A key that a catalogue does not hold (a bug: the catalogue test catches it)."""


def catalogue_path(lang: Lang) -> Path:
    return LOCALES / lang.value / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def catalogue(lang: Lang) -> Mapping[str, str]:
    """The key -> text mapping of one language's catalogue (read once)."""
    if lang not in ONE_LANGUAGE:
        raise ValueError(f"no catalogue for {lang!r}")
    with catalogue_path(lang).open("rb") as file:
        messages = read_po(file, locale=lang.value, domain=DOMAIN)
    return {
        str(message.id): str(message.string)
        for message in messages
        if message.id and message.string
    }


@dataclass(frozen=True)
class Phrase:
    """A value said in each language's own words (``3 天`` / ``3 d``): a key and its values,
    filled into another text in the same language as it."""

    key: str
    values: tuple[tuple[str, object], ...] = ()


def phrase(key: str, /, **values: object) -> Phrase:
    return Phrase(key, tuple(values.items()))


def text(key: str, lang: Lang, /, **values: object) -> str:
    """The text of ``key`` in one language, with ``{name}`` fields filled from ``values`` (a
    ``Phrase`` value in the same language)."""
    try:
        found = catalogue(lang)[key]
    except KeyError:
        raise MissingTextError(f"{key!r} is not in the {lang.value} catalogue") from None
    if not values:
        return found
    filled = {
        name: text(value.key, lang, **dict(value.values)) if isinstance(value, Phrase) else value
        for name, value in values.items()
    }
    return found.format(**filled)


def both(key: str, /, **values: object) -> tuple[str, str]:
    """``(Chinese, English)`` texts of ``key``."""
    return text(key, Lang.ZH, **values), text(key, Lang.EN, **values)


def say(key: str, lang: Lang, /, *, sep: str = " / ", **values: object) -> str:
    """Plain text in the page's language: one of them, or ``中文 / English`` for both."""
    if lang is Lang.BOTH:
        return sep.join(both(key, **values))
    return text(key, lang, **values)


def say_html(key: str, lang: Lang, /, **values: object) -> str:
    """Escaped HTML in the page's language; for both, the English in a ``lang="en"`` span."""
    if lang is Lang.BOTH:
        zh, en = both(key, **values)
        return f'{escape(zh)} <span class="en" lang="en">{escape(en)}</span>'
    return escape(text(key, lang, **values))


@dataclass(frozen=True)
class Words:
    """The words of one catalogue key: ``.zh``, ``.en``, or in a page's language."""

    key: str

    @property
    def zh(self) -> str:
        return text(self.key, Lang.ZH)

    @property
    def en(self) -> str:
        return text(self.key, Lang.EN)

    def say(self, lang: Lang) -> str:
        """Plain text in ``lang`` (both: ``中文 / English``)."""
        return say(self.key, lang)

    def html(self, lang: Lang) -> str:
        """Escaped HTML in ``lang`` (both: the English in a ``lang="en"`` span)."""
        return say_html(self.key, lang)


def html_lang(lang: Lang) -> str:
    """The ``<html lang>`` of a page in ``lang`` (both: Chinese first, English marked)."""
    return "en" if lang is Lang.EN else "zh-CN"


def _accepted(accept_language: str) -> dict[str, float]:
    """The primary languages of an ``Accept-Language`` header and their best weight."""
    weights: dict[str, float] = {}
    for part in accept_language.split(",")[:20]:
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().replace("_", "-").split("-")[0]
        if not primary:
            continue
        weight = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        if weight > 0:
            weights[primary] = max(weight, weights.get(primary, 0.0))
    return weights


def choose_lang(asked: str | None, accept_language: str | None) -> Lang:
    """The page's language: ``?lang=`` if it names one we have, else ``Accept-Language`` when
    it accepts exactly one of Chinese and English, else both."""
    if asked:
        try:
            return Lang(asked.strip().lower())
        except ValueError:
            pass
    accepted = _accepted(accept_language or "")
    zh, en = "zh" in accepted, "en" in accepted
    if zh and not en:
        return Lang.ZH
    if en and not zh:
        return Lang.EN
    return Lang.BOTH


def language_links_html(path: str, lang: Lang) -> str:
    """A small ``<nav>`` that shows the page at ``path`` in each language (``?lang=``)."""
    links = []
    for choice in (Lang.ZH, Lang.EN, Lang.BOTH):
        # Each choice is named in its own language, so a reader finds theirs in any page.
        name = escape(say(f"lang.{choice.value}", choice if choice is not Lang.BOTH else Lang.ZH))
        current = ' aria-current="true"' if choice is lang else ""
        hreflang = {Lang.ZH: ' hreflang="zh-CN"', Lang.EN: ' hreflang="en"'}.get(choice, "")
        links.append(f'<a href="{escape(path)}?lang={choice.value}"{hreflang}{current}>{name}</a>')
    label = escape(say("lang.choose", lang))
    return f'<nav class="langs" aria-label="{label}">{" · ".join(links)}</nav>'
