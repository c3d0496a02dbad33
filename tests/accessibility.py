"""Accessibility checks for the browser tests: axe-core's rules, and a keyboard walk.

``assert_accessible`` runs axe-core (vendored in ``tests/vendor/axe-core/``, provenance in
its PROVENANCE.md) inside a page a test opened, with the WCAG 2.0, 2.1 and 2.2 level A and
AA rules and axe's best practices, and fails listing every violation whose impact is
serious or critical (decision 0039). The page keeps Tessera's strict CSP: the script goes
in through ``page.evaluate`` (the DevTools protocol runs it; a page's CSP governs only what
the page itself loads), so no test needs ``bypass_csp`` or a weaker policy.

``check_focus_visible`` tabs through the page as a keyboard user does and checks that each
element it reaches shows a focus indicator: an outline or a box-shadow that it does not
have unfocused, in a colour with at least 3:1 contrast against the background it is drawn
on (WCAG 2.2 SC 1.4.11 and 2.4.7). The contrast is computed where it can be: the
indicator's colour (composited over the background if translucent) against the first
opaque ``background-color`` behind it (the parent's for an outline drawn outside the
element or an outer shadow, the element's own for an inset one; white at the root). Behind
a ``background-image``, or for an ``outline-style: auto`` ring (its colour is the
browser's), no contrast is computed, and the reason is recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from playwright.sync_api import Page

AXE_SCRIPT: Final = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
AXE_TAGS: Final = (
    "wcag2a",
    "wcag2aa",
    "wcag21a",
    "wcag21aa",
    "wcag22a",
    "wcag22aa",
    "best-practice",
)
BLOCKING_IMPACTS: Final = frozenset({"serious", "critical"})
FOCUS_CONTRAST: Final = 3.0

_RUN_AXE: Final = """async ([include, exclude, tags]) => {
  const context = include.length || exclude.length
    ? { include: include.length ? include : [document], exclude }
    : document;
  const results = await axe.run(context, {
    runOnly: { type: "tag", values: tags },
    resultTypes: ["violations"],
  });
  return {
    rules: results.violations.length + results.passes.length + results.inapplicable.length
      + results.incomplete.length,
    violations: results.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      targets: v.nodes.map((n) => n.target.join(" ")),
    })),
  };
}"""


@dataclass(frozen=True)
class Violation:
    """One axe rule a page breaks: its id, impact, what it asks for, and where."""

    id: str
    impact: str
    help: str
    targets: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.id} ({self.impact}): {self.help} at {', '.join(self.targets)}"


def axe_violations(
    page: Page, *, include: tuple[str, ...] = (), exclude: tuple[str, ...] = ()
) -> list[Violation]:
    """Every violation axe finds in ``page`` (restricted to the ``include`` selectors, less the
    ``exclude`` ones, when given), whatever its impact."""
    if not page.evaluate("() => typeof axe === 'object'"):
        page.evaluate(AXE_SCRIPT.read_text(encoding="utf-8"))
    found: dict[str, Any] = page.evaluate(
        _RUN_AXE, [[[s] for s in include], [[s] for s in exclude], list(AXE_TAGS)]
    )
    assert found["rules"] > 0, "axe ran no rule"
    return [
        Violation(v["id"], v["impact"] or "", v["help"], tuple(v["targets"]))
        for v in found["violations"]
    ]


def assert_accessible(
    page: Page,
    *,
    name: str,
    include: tuple[str, ...] = (),
    exclude: tuple[str, ...] = (),
) -> None:
    """Fail, naming the page ``name``, when axe finds a serious or critical violation."""
    blocking = [
        v
        for v in axe_violations(page, include=include, exclude=exclude)
        if v.impact in BLOCKING_IMPACTS
    ]
    assert not blocking, f"{name}: {len(blocking)} accessibility violation(s):\n" + "\n".join(
        f"  {v}" for v in blocking
    )


# The focus walk, in the page: the unfocused look of every element that can take focus,
# then, after each Tab, what the focused element shows.
_FOCUSABLE: Final = (
    "a[href], button:not([disabled]), input:not([disabled]):not([type=hidden]), select, "
    "textarea, summary, [tabindex]:not([tabindex='-1'])"
)
_RECORD_UNFOCUSED: Final = """(selector) => {
  const looks = new Map();
  // checkVisibility also leaves out what a closed <details> holds (content-visibility).
  const visible = (e) => e.getClientRects().length > 0
    && e.checkVisibility({ visibilityProperty: true });
  // A group of radio buttons is one Tab stop (arrow keys move within it).
  const radioGroups = new Set();
  let stops = 0;
  for (const e of document.querySelectorAll(selector)) {
    if (!visible(e)) continue;
    const s = getComputedStyle(e);
    looks.set(e, { outline: `${s.outlineStyle} ${s.outlineWidth} ${s.outlineColor}`,
                   shadow: s.boxShadow });
    if (e.type === "radio" && e.name) {
      const group = `${e.form ? [...document.forms].indexOf(e.form) : -1}/${e.name}`;
      if (radioGroups.has(group)) continue;
      radioGroups.add(group);
    }
    stops += 1;
  }
  window.__tesseraUnfocused = looks;
  return stops;
}"""
_START_AT_TOP: Final = """() => {
  document.activeElement?.blur();
  const body = document.body;  // focusing it moves the point Tab starts from to the top
  body.setAttribute("tabindex", "-1");
  body.focus();
  body.removeAttribute("tabindex");
  window.__tesseraVisited = new Set();
}"""
_FOCUSED_LOOK: Final = """() => {
  const e = document.activeElement;
  if (!e || e === document.body || e === document.documentElement) return null;
  const looks = window.__tesseraUnfocused;
  const visited = window.__tesseraVisited || (window.__tesseraVisited = new Set());
  // A date or time field has a Tab stop per part (year, month, day): one element.
  if (visited.has(e)) return e === window.__tesseraLast ? { same: true } : { again: true };
  visited.add(e);
  window.__tesseraLast = e;
  const before = looks.get(e) || { outline: "none 0px transparent", shadow: "none" };
  const s = getComputedStyle(e);
  const parse = (text) => {
    const m = /rgba?\\(([^)]+)\\)/.exec(text || "");
    if (!m) return null;
    const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const backgroundBehind = (start) => {
    const layers = [];
    for (let n = start; n && n.nodeType === 1; n = n.parentElement) {
      const style = getComputedStyle(n);
      if (style.backgroundImage !== "none") return { colour: null, why: "background image" };
      const c = parse(style.backgroundColor);
      if (c && c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
    }
    let colour = [255, 255, 255, 1];
    for (const c of layers.reverse()) {
      colour = colour.map((v, i) => (i < 3 ? c[i] * c[3] + v * (1 - c[3]) : 1));
    }
    return { colour, why: null };
  };
  const outline = `${s.outlineStyle} ${s.outlineWidth} ${s.outlineColor}`;
  const outlineShown = s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0
    && outline !== before.outline;
  const shadowShown = s.boxShadow !== "none" && s.boxShadow !== before.shadow;
  let indicator = null, auto = false, inside = false;
  if (outlineShown) {
    indicator = parse(s.outlineColor);
    auto = s.outlineStyle === "auto";
    inside = parseFloat(s.outlineOffset) < 0;
  } else if (shadowShown) {
    indicator = parse(s.boxShadow);
    inside = /inset/.test(s.boxShadow);
  }
  const behind = backgroundBehind(inside ? e : e.parentElement);
  const label = (e.innerText || e.value || e.getAttribute("aria-label") || "").trim();
  return {
    again: false,
    element: `${e.tagName.toLowerCase()}${e.id ? "#" + e.id : ""} "${label.slice(0, 40)}"`,
    known: looks.has(e),
    shown: outlineShown || shadowShown,
    how: outlineShown ? `outline ${outline}` : shadowShown ? `box-shadow ${s.boxShadow}` : "",
    indicator, auto, background: behind.colour, why: behind.why,
  };
}"""


def _luminance(rgb: tuple[float, float, float]) -> float:
    linear = [
        c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in (v / 255 for v in rgb)
    ]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(first: tuple[float, float, float], second: tuple[float, float, float]) -> float:
    """The WCAG 2 contrast ratio of two opaque sRGB colours, 1 to 21."""
    light, dark = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


@dataclass(frozen=True)
class FocusStop:
    """One element the Tab key reached, and its indicator's contrast (``None``: not
    computable, ``why`` says so)."""

    element: str
    how: str
    contrast: float | None
    why: str | None


def check_focus_visible(page: Page, *, max_stops: int = 200) -> list[FocusStop]:
    """Tab from the top of ``page`` through every element that takes focus, asserting each
    shows a focus indicator with at least 3:1 contrast where computable; the stops, in
    order (none on a page without links or controls). Fails too when Tab skips a visible
    focusable element or stops on one that is not."""
    expected = int(page.evaluate(_RECORD_UNFOCUSED, _FOCUSABLE))
    page.evaluate(_START_AT_TOP)
    stops: list[FocusStop] = []
    problems: list[str] = []
    for _ in range(max_stops):
        page.keyboard.press("Tab")
        look: dict[str, Any] | None = page.evaluate(_FOCUSED_LOOK)
        if look is not None and look.get("same"):
            continue
        if look is None or look["again"]:
            break  # past the last element (focus left the page), or round to the first
        ratio, why = _indicator_contrast(look)
        stops.append(FocusStop(look["element"], look["how"], ratio, why))
        where = f"{len(stops)}. {look['element']}"
        if not look["shown"]:
            problems.append(f"{where}: no visible focus indicator")
        elif ratio is not None and ratio < FOCUS_CONTRAST:
            problems.append(f"{where}: focus indicator contrast {ratio:.2f}:1 ({look['how']})")
        if not look["known"]:
            problems.append(f"{where}: took focus but is not a visible focusable element")
    if len(stops) != expected:
        problems.append(f"Tab reached {len(stops)} elements, the page has {expected}")
    assert not problems, "focus:\n" + "\n".join(f"  {p}" for p in problems)
    return stops


def _indicator_contrast(look: dict[str, Any]) -> tuple[float | None, str | None]:
    if not look["shown"]:
        return None, "no indicator"
    if look["auto"]:
        return None, "outline-style auto: the browser's own two-colour ring"
    if look["indicator"] is None:
        return None, "indicator colour not an rgb() value"
    if look["background"] is None:
        return None, look["why"]
    red, green, blue, alpha = look["indicator"]
    back_red, back_green, back_blue = look["background"][:3]
    shown = (
        red * alpha + back_red * (1 - alpha),
        green * alpha + back_green * (1 - alpha),
        blue * alpha + back_blue * (1 - alpha),
    )
    return contrast_ratio(shown, (back_red, back_green, back_blue)), None


class PageChecks:
    """Opens pages in one browser tab and checks each, keeping every failure to report
    them all at once."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.failures: list[str] = []
        self.checked: list[str] = []

    def goto(self, url: str, *, status: int = 200) -> None:
        response = self.page.goto(url)
        assert response is not None
        assert response.status == status, url
        csp = response.headers.get("content-security-policy", "")
        assert "script-src 'self'" in csp, url
        assert "'unsafe-inline'" not in csp, url

    def check(self, name: str, *, focus: bool = True, **scope: Any) -> None:
        self.checked.append(name)
        try:
            assert_accessible(self.page, name=name, **scope)
        except AssertionError as failure:
            self.failures.append(str(failure))
        if not focus:
            return
        try:
            stops = check_focus_visible(self.page)
        except AssertionError as failure:
            self.failures.append(f"{name}: {failure}")
            return
        # Tessera's pages style their own focus: every indicator's contrast is measured.
        self.failures += [f"{name}: {s.element}: {s.why}" for s in stops if s.contrast is None]
