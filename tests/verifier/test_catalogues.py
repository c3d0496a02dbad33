"""The message catalogues: both languages hold the same keys, and every key code asks for exists.

A key is asked for by ``text``, ``both``, ``say`` or ``say_html`` (verifier/i18n.py) or named
in a ``KEYS``-style literal; this test reads the source for string literals that look like
keys used with those functions, so a page cannot render a missing key in either language.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from verifier import labels
from verifier.errors import CredentialErrorCode
from verifier.i18n import (
    Lang,
    MissingTextError,
    catalogue,
    choose_lang,
    language_links_html,
    say,
    say_html,
    text,
)
from verifier.labels import Label
from verifier.local_time import age_phrase
from verifier.result import Check, CheckCode, CredentialStatus, ReasonCode
from verifier.web.batch_page import BATCH_REASONS, KINDS
from verifier.web.phone import PAGE_KEYS
from verifier.words import CHECK_OUTCOMES, DATE_LABELS, UNAVAILABLE_WHAT, check_key

ROOT = Path(__file__).resolve().parents[2]
CALL = re.compile(
    r"""\b(?:text|both|say|say_html|words|label|Label)\(\s*["']([a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+)["']"""
)
# In the console's templates (issuer/web/console/templates.py): w("key"), plain("key") ...
TEMPLATE_CALL = re.compile(
    r"""\b(?:w|plain|zh|en)\(\s*["']([a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+)["']"""
)
CJK = re.compile(r"[\u3400-\u9fff]")
CHINESE = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")  # with its punctuation


def _keys_in_code() -> set[str]:
    found: set[str] = set()
    for folder in ("issuer", "verifier"):
        for path in (ROOT / folder).rglob("*.py"):
            found.update(CALL.findall(path.read_text(encoding="utf-8")))
        for path in (ROOT / folder).rglob("*.html"):
            found.update(TEMPLATE_CALL.findall(path.read_text(encoding="utf-8")))
    return found


def test_both_catalogues_hold_the_same_keys() -> None:
    zh, en = set(catalogue(Lang.ZH)), set(catalogue(Lang.EN))
    assert zh - en == set(), "keys only in Chinese"
    assert en - zh == set(), "keys only in English"


def test_every_key_the_code_asks_for_is_in_the_catalogues() -> None:
    used = _keys_in_code()
    assert used, "the pattern found no key: it is out of date"
    assert used - set(catalogue(Lang.ZH)) == set()


def test_english_has_no_chinese_and_chinese_is_chinese() -> None:
    for key, value in catalogue(Lang.EN).items():
        assert not CJK.search(value), key
    # Every Chinese text holds Chinese, except what is the same in both (codes, symbols).
    for key, value in catalogue(Lang.ZH).items():
        assert CHINESE.search(value) or value == catalogue(Lang.EN)[key], key


def test_placeholders_agree_between_languages() -> None:
    field = re.compile(r"\{(\w+)\}")
    for key, value in catalogue(Lang.ZH).items():
        assert set(field.findall(value)) == set(field.findall(catalogue(Lang.EN)[key])), key


def test_a_missing_key_is_an_error_not_a_blank() -> None:
    with pytest.raises(MissingTextError):
        text("no.such.key", Lang.ZH)


def test_both_languages_together_and_one() -> None:
    assert say("lang.both", Lang.BOTH) == "中英对照 / Chinese and English"
    assert say("lang.both", Lang.EN) == "Chinese and English"
    assert say_html("lang.zh", Lang.BOTH) == '中文 <span class="en" lang="en">Chinese</span>'


@pytest.mark.parametrize(
    ("asked", "accept", "chosen"),
    [
        ("zh", "en-US,en;q=0.9", Lang.ZH),
        ("EN", None, Lang.EN),
        ("both", "zh-CN", Lang.BOTH),
        ("fr", "zh-CN,zh;q=0.9", Lang.ZH),
        (None, "zh-CN,zh;q=0.9", Lang.ZH),
        (None, "zh_CN", Lang.ZH),
        (None, "en-GB,en;q=0.8", Lang.EN),
        (None, "zh-CN,zh;q=0.9,en;q=0.8", Lang.BOTH),
        (None, "zh-CN,en;q=0", Lang.ZH),
        (None, "fr-FR", Lang.BOTH),
        (None, None, Lang.BOTH),
        (None, ";;,q=x", Lang.BOTH),
    ],
)
def test_choose_lang(asked: str | None, accept: str | None, chosen: Lang) -> None:
    assert choose_lang(asked, accept) is chosen


def test_language_links_name_each_language_in_itself() -> None:
    nav = language_links_html("/v/abc", Lang.EN)
    assert 'href="/v/abc?lang=zh" hreflang="zh-CN">中文<' in nav
    assert 'href="/v/abc?lang=en" hreflang="en" aria-current="true">English<' in nav
    assert 'aria-label="Language"' in nav


def test_every_enum_member_has_its_words() -> None:
    """Keys built from enums (``verdict.<status>``...) are not literals the pattern can see."""
    keys = set(catalogue(Lang.ZH))
    wanted = {f"verdict.{status.value}" for status in CredentialStatus}
    wanted |= {f"reason.{reason.value}" for reason in ReasonCode}
    wanted |= {f"date.{status.value}" for status in DATE_LABELS}
    wanted |= {f"unavailable.{check.value}" for check in UNAVAILABLE_WHAT}
    wanted |= {f"problem.{code.value}" for code in CredentialErrorCode}
    wanted |= {
        check_key(Check(code=code, passed=outcome == "passed", skipped=outcome == "skipped"))
        for code in CheckCode
        for outcome in CHECK_OUTCOMES
    }
    wanted |= {label.key for label in vars(labels).values() if isinstance(label, Label)}
    wanted |= {f"batch.kind.{kind}" for kind in KINDS} | set(BATCH_REASONS.values())
    wanted |= set(PAGE_KEYS)
    assert wanted - keys == set()


def test_the_phone_page_scripts_hold_no_words_of_their_own() -> None:
    """The packed-link page's script shows the catalogues' words (its JSON words block), so
    its code holds no Chinese: a word written there would be a second vocabulary."""
    static = ROOT / "verifier" / "web" / "static"
    for path in [*static.glob("*.mjs"), static / "verify.js"]:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("//", 1)[0]
            assert not CJK.search(code), f"{path.name}:{number}"


def test_a_phrase_is_said_in_the_language_of_the_text_around_it() -> None:
    age = age_phrase(dt.timedelta(days=3))
    assert say("page.cached_age", Lang.BOTH, age=age) == (
        "缓存数据获取于 3 天前 / The cached copy was fetched 3 d ago"
    )
    assert [
        text(age.key, Lang.ZH, **dict(age.values))
        for age in (
            age_phrase(dt.timedelta(seconds=5)),
            age_phrase(dt.timedelta(minutes=5)),
            age_phrase(dt.timedelta(hours=5)),
        )
    ] == ["5 秒", "5 分钟", "5 小时"]
