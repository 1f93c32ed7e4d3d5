"""The public register meets WCAG 2.2 AA (the Public Sector Bodies Accessibility Regulations 2018) and is open data.

The page is checked in headless Chromium: axe-core with the WCAG 2.0, 2.1 and 2.2 A and AA rules, with JavaScript
running and without it, before and after searching and sorting, at desktop width and at 320 CSS pixels; the keyboard
order and the focus style of every control; and the contrast of every colour pair in the page's own CSS, worked out
with the WCAG relative-luminance formula. ``datapackage.json`` beside the CSV is checked with frictionless.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import os
import re
import shutil
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import partxl
from partxl.config import DEFAULTS_PATH
from partxl.outputs.publish import DEFAULT_LICENCE

from .conftest import SAMPLE_REGISTER

AS_OF = dt.date(2027, 4, 19)
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
LONG_WORD = "Supercalifragilisticexpialidocious" * 4  # 136 characters and no space
HOSTILE_NAMES = (  # planted in the first partnerships of the sample register, one each
    "<script>alert(1)</script>",
    "Partnership " * 11 + "of Wexbridge, Northshire and the Surrounding Parishes",  # long, though within the 200 allowed
    LONG_WORD,
    "Café Forum 🌳🚲 for Families 👩🏽‍🤝‍👩🏻",
    "شراكة المجتمع المحلي في ويكسبريدج",
    "שותפות הקהילה של וקסברידג'",
    '=HYPERLINK("https://example.invalid","Click") & "quotes" <b>bold</b>',
)


# ----------------------------------------------------------------------------------------------------- the sites


@pytest.fixture(scope="module")
def workspace() -> partxl.Workspace:
    return partxl.Workspace.load()


@pytest.fixture(scope="module")
def sample_site(workspace: partxl.Workspace, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sample-site")
    result = workspace.publish(SAMPLE_REGISTER, out=out, as_of=AS_OF)
    assert result.ok and result.rows > 30
    return out


@pytest.fixture(scope="module")
def hostile_site(workspace: partxl.Workspace, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample register with script, very long, emoji, right-to-left and formula-looking text planted in it."""
    folder = tmp_path_factory.mktemp("hostile-site")
    records = workspace.records(SAMPLE_REGISTER)
    for record, name in zip(records, HOSTILE_NAMES, strict=False):
        record.values["info_name"] = name
    records[-1].values["info_purpose"] = ("A very long purpose, said again and again. " * 80).strip()
    records[-2].values["info_meetings"] = "Online: https://meet.example.invalid/" + "x7Kq" * 40 + " (monthly)"
    records[-3].values["info_council_funding"] = 1234.56
    workspace.write_register(records, folder / "register.xlsx", as_of=AS_OF)
    result = workspace.publish(folder / "register.xlsx", out=folder / "site", as_of=AS_OF)
    assert not [f for f in result.findings if f.code == "REGISTER_VALUE_UNREADABLE"], result.findings  # every text kept
    return folder / "site"


@pytest.fixture(params=["sample", "hostile"])
def site(request: pytest.FixtureRequest) -> Path:
    return request.getfixturevalue(f"{request.param}_site")


def _hostile(site: Path) -> bool:
    return site.parent.name.startswith("hostile-site")


# ----------------------------------------------------------------------------------------------------- Chromium


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    if not (shutil.which("chromium") and shutil.which("chromedriver")):
        message = "Chromium and chromedriver are needed: apt-get install chromium chromium-driver"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync", "--window-size=1400,1000"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(shutil.which("chromedriver")))
    driver.set_script_timeout(120)
    yield driver
    driver.quit()


def open_page(driver, site: Path, *, javascript: bool = True, width: int | None = None) -> None:
    """Load the page over file:// with or without its JavaScript, optionally in a viewport ``width`` CSS pixels wide.

    Without JavaScript the page loads with script execution switched off, which is then switched back on so that
    axe and the test can run their own scripts: the page's script has had its one chance to run, and did not."""
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    if width:
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": width, "height": 800, "deviceScaleFactor": 1,
                                                                      "mobile": False})
    driver.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": not javascript})
    driver.get((site / "index.html").as_uri())
    driver.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": False})
    enhanced = driver.execute_script("return document.querySelectorAll('#register th button').length > 0")
    assert enhanced == javascript, "the page's script ran" if enhanced else "the page's script did not run"
    if width:
        assert driver.execute_script("return window.innerWidth") == width


def axe(driver) -> dict[str, Any]:
    from axe_selenium_python import Axe

    checker = Axe(driver)
    checker.inject()
    options = {"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations", "incomplete"]}
    return checker.run(options=json.dumps(options))


def readable(results: list[dict[str, Any]]) -> str:
    lines = []
    for rule in results:
        lines.append(f"{rule['id']} ({rule.get('impact')}): {rule['help']} [{', '.join(rule['tags'])}] {rule['helpUrl']}")
        for node in rule["nodes"][:10]:
            lines.append(f"    at {' > '.join(map(str, node['target']))}: {node['html'][:160]}")
            summary = (node.get("failureSummary") or "").replace("\n", " / ")
            if summary:
                lines.append(f"        {summary[:400]}")
        if len(rule["nodes"]) > 10:
            lines.append(f"    … and {len(rule['nodes']) - 10} more")
    return "\n".join(lines)


def assert_no_violations(driver, where: str, *, review: bool = False) -> dict[str, Any]:
    """No violation; and with ``review``, nothing left for a person to check either. Without it, axe may leave
    unchecked the contrast of cells the table's scrolling region hides (it cannot see their background): the run
    at a viewport wide enough for the whole table checks those."""
    results = axe(driver)
    assert not results["violations"], f"axe-core {results['testEngine']['version']} on {where}:\n{readable(results['violations'])}"
    unchecked = results["incomplete"]
    if not review:
        hidden = driver.execute_script(
            "var r = document.querySelector('.scroll').getBoundingClientRect();"
            "return Array.prototype.map.call(arguments[0], function (s) { var e = document.querySelector(s),"
            " b = e && e.getBoundingClientRect(); return !!(e && e.closest('#register') && (b.right > r.right || b.left < r.left)); });",
            [n["target"][0] for rule in unchecked for n in rule["nodes"]])
        flags = iter(hidden)
        clipped = [all([next(flags) for _ in rule["nodes"]]) for rule in unchecked]
        unchecked = [rule for rule, out_of_sight in zip(unchecked, clipped, strict=True)
                     if not (rule["id"] == "color-contrast" and out_of_sight)]
    assert not unchecked, f"axe-core could not check, on {where}:\n{readable(unchecked)}"
    return results


# ----------------------------------------------------------------------------------------------------- axe-core


def test_the_bundled_axe_core_knows_the_wcag_2_2_rules(sample_site: Path, browser):
    open_page(browser, sample_site)
    results = axe(browser)
    version = tuple(int(p) for p in results["testEngine"]["version"].split(".")[:2])
    assert version >= (4, 7), f"axe-core {results['testEngine']['version']} predates WCAG 2.2's rules: upgrade the axe package"
    rules = browser.execute_script("return axe.getRules(arguments[0]).map(function (r) { return r.ruleId; })", ["wcag22aa"])
    assert "target-size" in rules
    everything = json.dumps({"runOnly": {"type": "tag", "values": AXE_TAGS}})
    passed = browser.execute_async_script(
        f"var done = arguments[arguments.length - 1]; axe.run({everything}).then(function (r) {{ done(r.passes.map(function (p) "
        "{ return p.id; })); });")
    assert {"color-contrast", "target-size", "th-has-data-cells", "label", "html-lang-valid", "scrollable-region-focusable"} <= \
        set(passed), passed  # the rules that matter here ran, and passed


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
@pytest.mark.parametrize("width", [None, 320, "whole table"], ids=["desktop", "320px", "whole-table"])
def test_axe_finds_no_wcag_2_2_aa_violation(site: Path, browser, javascript: bool, width: int | str | None):
    if width == "whole table":  # a viewport wide enough that the table does not scroll, so axe sees every cell
        open_page(browser, site, javascript=javascript)
        wide = browser.execute_script("return document.getElementById('register').scrollWidth") + 200
        open_page(browser, site, javascript=javascript, width=wide)
        assert browser.execute_script("var s = document.querySelector('.scroll'); return s.scrollWidth <= s.clientWidth")
    else:
        open_page(browser, site, javascript=javascript, width=width if isinstance(width, int) else None)
    which = "the hostile register" if _hostile(site) else "the sample register"
    assert_no_violations(browser, f"{which} {'with' if javascript else 'without'} JavaScript at {width or 1400}px",
                         review=width == "whole table")


def test_axe_finds_no_violation_after_searching_and_sorting(hostile_site: Path, browser):
    from selenium.webdriver.common.by import By

    open_page(browser, hostile_site)
    search = browser.find_element(By.ID, "search")
    search.send_keys("northshire")
    buttons = browser.find_elements(By.CSS_SELECTOR, "#register th button")
    buttons[1].click()
    assert_no_violations(browser, "the page searched and sorted ascending")
    buttons[1].click()
    buttons[1].click()  # focus stays on the button: its focus style is checked too
    assert_no_violations(browser, "the page sorted twice, the sort button focused")
    search.clear()
    search.send_keys("no such partnership anywhere")
    assert browser.find_element(By.ID, "count").text.startswith("0 of ")
    assert_no_violations(browser, "a search that matches nothing")
    search.send_keys("\b" * 40)
    skip = browser.find_element(By.CSS_SELECTOR, ".skip-link")
    browser.execute_script("arguments[0].focus()", skip)  # the skip link shows itself
    assert browser.switch_to.active_element == skip
    assert_no_violations(browser, "the skip link focused")


# ----------------------------------------------------------------------------------------------------- colours

HEX = re.compile(r"#(?:[0-9a-fA-F]{6}|[0-9a-fA-F]{3})\b")


def rgb(colour: str) -> tuple[float, float, float, float]:
    """'#1d70b8', '#fff', 'rgb(29, 112, 184)' or 'rgba(0, 0, 0, 0)' as (r, g, b, alpha), r g b in 0-255."""
    colour = colour.strip().lower()
    if colour == "transparent":
        return (0, 0, 0, 0)
    if colour.startswith("#"):
        digits = colour[1:]
        if len(digits) == 3:
            digits = "".join(d * 2 for d in digits)
        return (int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16), 1.0)
    parts = [float(p) for p in re.findall(r"[\d.]+", colour)]
    if len(parts) == 3:
        parts.append(1.0)
    return (parts[0], parts[1], parts[2], parts[3])


def luminance(colour: str) -> float:
    """WCAG 2.2 relative luminance."""
    channels = []
    for value in rgb(colour)[:3]:
        c = value / 255
        channels.append(c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4)
    return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_the_contrast_formula():
    assert contrast("#000000", "#ffffff") == pytest.approx(21)
    assert contrast("#ffbf47", "#ffffff") == pytest.approx(1.64, abs=0.01)  # the old focus colour on white
    assert contrast("#ffbf47", "#d9e1f2") == pytest.approx(1.25, abs=0.01)  # and on the old table header
    assert contrast("rgb(11, 12, 12)", "#ffdd00") == pytest.approx(14.55, abs=0.01)


def css_rules(page: str) -> list[tuple[str, dict[str, list[str]]]]:
    """The screen rules of the page's style sheet, as (selector, {property: [values]}); print rules left out."""
    style = "\n".join(re.findall(r"<style>(.*?)</style>", page, re.S))
    style = re.sub(r"/\*.*?\*/", "", style, flags=re.S)
    screen = ""
    depth, i = 0, 0
    while i < len(style):  # drop @media print { ... } blocks, braces nested
        if depth == 0 and style.startswith("@media print", i):
            j = style.index("{", i)
            depth, i = 1, j + 1
            while depth:
                depth += {"{": 1, "}": -1}.get(style[i], 0)
                i += 1
            continue
        screen += style[i]
        i += 1
    assert "@media" not in screen and "@import" not in screen
    rules = []
    for selector, body in re.findall(r"([^{}]+)\{([^{}]*)\}", screen):
        declarations: dict[str, list[str]] = {}
        for declaration in body.split(";"):
            if ":" in declaration:
                name, value = declaration.split(":", 1)
                declarations.setdefault(name.strip().lower(), []).append(value.strip())
        rules.append((" ".join(selector.split()), declarations))
    return rules


def _colours(values: list[str]) -> list[str]:
    return [c.lower() for v in values for c in HEX.findall(v)]


COLOUR_PROPERTIES = {"color", "background", "background-color", "outline", "outline-color", "box-shadow", "border",
                     "border-color", "border-top", "border-bottom", "border-left", "border-right"}
NOT_A_COLOUR = re.compile(r"#[0-9a-fA-F]{3,6}\b|-?[\d.]+(px|rem|em|%)?|\b(solid|inset|transparent|none|inherit|currentcolor)\b|,")


def palette(page: str) -> dict[str, Any]:
    """Who sits on what: text colours and surfaces outside focus, and each focus rule's colours."""
    surfaces, texts, borders, focus = {"#ffffff"}, set(), set(), []
    for selector, d in css_rules(page):
        for name in COLOUR_PROPERTIES & set(d):  # colours are written as #rrggbb, so that this test sees every one
            for value in d[name]:
                assert not NOT_A_COLOUR.sub("", value.lower()).strip(), f"{selector} {{ {name}: {value} }}: write colours as hex"
        background = _colours(d.get("background", []) + d.get("background-color", []))
        if ":focus" in selector:
            focus.append({"selector": selector, "text": _colours(d.get("color", [])), "background": background,
                          "outline": [c for c in _colours(d.get("outline", []) + d.get("outline-color", []))],
                          "shadow": _colours(d.get("box-shadow", []))})
            continue
        surfaces.update(background)
        texts.update(_colours(d.get("color", [])))
        if "input" in selector:
            borders.update(_colours(d.get("border", []) + d.get("border-color", [])))
    return {"surfaces": surfaces, "texts": texts, "borders": borders, "focus": focus}


def test_every_colour_pair_in_the_css_has_enough_contrast(sample_site: Path):
    page = (sample_site / "index.html").read_text(encoding="utf-8")
    colours = palette(page)
    figures = []
    assert colours["texts"] and len(colours["surfaces"]) >= 2 and colours["focus"]
    for text in sorted(colours["texts"]):
        for surface in sorted(colours["surfaces"]):
            figures.append(("text", text, surface, contrast(text, surface), 4.5))
    for border in sorted(colours["borders"]):  # the search box must be seen to be a box (WCAG 1.4.11)
        for surface in sorted(colours["surfaces"]):
            figures.append(("input border", border, surface, contrast(border, surface), 3))
    for rule in colours["focus"]:
        indicator = rule["outline"] + rule["shadow"] + rule["background"]
        if not indicator + rule["text"]:
            continue  # a rule that only places what it focuses (the skip link's)
        assert rule["outline"] + rule["shadow"], f"{rule['selector']} draws no outline or box-shadow in a colour"
        for text in rule["text"]:
            for background in rule["background"]:
                figures.append((f"focused text {rule['selector']}", text, background, contrast(text, background), 4.5))
        # The GOV.UK pattern: yellow, which may be faint against a light page, always with black, which is not.
        # At least one indicator colour must stand out (3:1) from every surface the control sits on and from the
        # indicator's other colours, so that the indicator is seen wherever it is drawn.
        against = sorted(colours["surfaces"] | set(indicator))
        best = max((min((contrast(k, a) for a in against if a != k), default=21), k)
                   for k in rule["outline"] + rule["shadow"])
        figures.append((f"focus indicator {rule['selector']}", best[1], "every surface and the other indicator colours", best[0], 3))
    print("\n".join(f"{what:60} {a} on {b}: {ratio:5.2f}:1 (needs {need}:1)" for what, a, b, ratio, need in figures))
    failing = [f for f in figures if f[3] < f[4]]
    assert not failing, failing
    for kind in ("a", "button", "input", ".scroll"):  # each kind of control has a focus style of its own
        assert any(re.search(rf"(^|[\s,]){re.escape(kind)}(:|\[|\s|$)", r["selector"]) for r in colours["focus"]), kind


# ----------------------------------------------------------------------------------------------------- keyboard


FOCUS_STATE = """
var e = document.activeElement, s = getComputedStyle(e), r = e.getBoundingClientRect();
function backdrop(node) {
  for (; node && node.nodeType === 1; node = node.parentElement) {
    var c = getComputedStyle(node).backgroundColor;
    if (c && c !== 'transparent' && !/rgba\\(.*, 0\\)$/.test(c)) return c;
  }
  return 'rgb(255, 255, 255)';
}
return {tag: e.tagName.toLowerCase(), id: e.id, cls: e.className, text: (e.textContent || '').trim().slice(0, 60),
        outlineStyle: s.outlineStyle, outlineWidth: parseFloat(s.outlineWidth), outlineColor: s.outlineColor,
        boxShadow: s.boxShadow, background: s.backgroundColor, color: s.color, behind: backdrop(e.parentElement),
        rect: [r.left, r.top, r.right, r.bottom, innerWidth, innerHeight],
        inView: r.width > 0 && r.height > 0 && (r.width > innerWidth || (r.left >= 0 && r.right <= innerWidth)) &&
                (r.height > innerHeight || (r.top >= 0 && r.bottom <= innerHeight)) &&
                r.right > 0 && r.left < innerWidth && r.bottom > 0 && r.top < innerHeight};
"""

FOCUSABLE_IN_ORDER = """
return Array.prototype.filter.call(document.querySelectorAll('a[href], button, input, select, textarea, [tabindex]'),
  function (e) { return e.tabIndex >= 0 && !e.disabled && e.getClientRects().length > 0; });
"""


def _opaque(colour: str) -> bool:
    return rgb(colour)[3] > 0


def _shadow_colours(box_shadow: str) -> list[str]:
    return [c for c in re.findall(r"rgba?\([^)]*\)", box_shadow) if _opaque(c)] if box_shadow != "none" else []


def indicator_problems(state: dict[str, Any]) -> list[str]:
    """Why the focused element's computed style is not a visible focus indicator of 3:1 (an empty list when it is)."""
    parts = _shadow_colours(state["boxShadow"])
    if state["outlineStyle"] != "none" and state["outlineWidth"] >= 2 and _opaque(state["outlineColor"]):
        parts.append(state["outlineColor"])
    own = state["background"] if _opaque(state["background"]) else state["behind"]
    if not parts:
        return [f"no outline or box-shadow: {state}"]
    neighbours = [state["behind"], own] + parts
    best = max(min((contrast(k, n) for n in neighbours if rgb(n)[:3] != rgb(k)[:3]), default=21) for k in parts)
    problems = [] if best >= 3 else [f"indicator only {best:.2f}:1 against its surroundings: {state}"]
    if contrast(state["color"], own) < 4.5 and state["text"]:
        problems.append(f"focused text {contrast(state['color'], own):.2f}:1 on its background: {state}")
    if not state["inView"]:
        problems.append(f"scrolled out of view when focused: {state}")
    return problems


def test_every_control_is_reached_by_keyboard_in_order_and_shows_its_focus(hostile_site: Path, browser):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    open_page(browser, hostile_site)
    expected = browser.execute_script(FOCUSABLE_IN_ORDER)
    headings = browser.find_elements(By.CSS_SELECTOR, "#register thead th")
    described = [(e.tag_name, e.get_attribute("class") or e.get_attribute("id") or e.text) for e in expected]
    # skip link, then the downloads, the search box, the table's scrolling region and its sort buttons, the footer
    assert described[0] == ("a", "skip-link")
    assert ("input", "search") in described
    search_at = described.index(("input", "search"))
    assert all(tag == "a" for tag, _ in described[1:search_at]) and search_at >= 2
    assert described[search_at + 1] == ("div", "scroll")
    buttons = described[search_at + 2:search_at + 2 + len(headings)]
    assert [label for _, label in buttons] == [h.text for h in headings] and all(tag == "button" for tag, _ in buttons)
    assert all(tag == "a" for tag, _ in described[search_at + 2 + len(headings):])
    unfocused = {e.id: browser.execute_script(FOCUS_STATE.replace("document.activeElement", "arguments[0]"), e) for e in expected}
    reached, problems = [], []
    for _ in expected:
        ActionChains(browser).send_keys(Keys.TAB).perform()
        active = browser.switch_to.active_element
        reached.append(active)
        state = browser.execute_script(FOCUS_STATE)
        problems += indicator_problems(state)
        before = unfocused[active.id]
        if all(before[k] == state[k] for k in ("outlineStyle", "outlineColor", "boxShadow", "background")):
            problems.append(f"focus changes nothing visible on {state}")
    assert reached == expected, [(e.tag_name, e.text[:30]) for e in reached]
    assert not problems, "\n".join(problems)
    ActionChains(browser).key_down(Keys.SHIFT).send_keys(Keys.TAB).key_up(Keys.SHIFT).perform()
    assert browser.switch_to.active_element == expected[-2]  # and back again: no keyboard trap


def test_the_skip_link_shows_when_focused_and_skips_to_the_table(sample_site: Path, browser):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    open_page(browser, sample_site)
    skip = browser.find_element(By.CSS_SELECTOR, ".skip-link")
    assert skip.size["width"] <= 1 or not skip.is_displayed()  # hidden until focused, as GOV.UK's
    ActionChains(browser).send_keys(Keys.TAB).perform()
    assert browser.switch_to.active_element == skip and skip.size["width"] > 50 and skip.text
    target = browser.find_element(By.CSS_SELECTOR, skip.get_attribute("href").rsplit("/", 1)[-1].split("index.html")[-1])
    ActionChains(browser).send_keys(Keys.ENTER).perform()
    if browser.switch_to.active_element != target:
        ActionChains(browser).send_keys(Keys.TAB).perform()
        assert browser.switch_to.active_element in (target, target.find_element(By.TAG_NAME, "button"))
    assert target.get_attribute("role") == "region"


def test_sort_buttons_announce_their_state_and_the_count_is_live(sample_site: Path, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    open_page(browser, sample_site)
    headings = browser.find_elements(By.CSS_SELECTOR, "#register thead th")
    assert all(h.get_attribute("aria-sort") in (None, "none") for h in headings)
    name = headings[1].find_element(By.TAG_NAME, "button")
    assert name.accessible_name == headings[1].text.replace(" ▲", "").replace(" ▼", "") == "Partnership name"
    name.send_keys(Keys.ENTER)  # by keyboard
    assert headings[1].get_attribute("aria-sort") == "ascending"
    assert all(h.get_attribute("aria-sort") in (None, "none") for h in headings if h != headings[1])
    assert name.accessible_name == "Partnership name"  # the arrow is not read out: aria-sort says it
    names = [r.text for r in browser.find_elements(By.CSS_SELECTOR, "#register tbody tr td:nth-child(2)")]
    assert names == sorted(names, key=str.casefold)
    name.send_keys(Keys.SPACE)
    assert headings[1].get_attribute("aria-sort") == "descending"
    grant = next(h for h in headings if h.text.startswith("Annual grant"))
    grant.find_element(By.TAG_NAME, "button").click()
    assert grant.get_attribute("aria-sort") == "ascending" and headings[1].get_attribute("aria-sort") in (None, "none")
    count = browser.find_element(By.ID, "count")
    assert count.get_attribute("aria-live") == "polite" or count.get_attribute("role") == "status"
    rows = len(browser.find_elements(By.CSS_SELECTOR, "#register tbody tr"))
    assert count.text == f"{rows} of {rows} partnerships shown"
    browser.find_element(By.ID, "search").send_keys("flood")
    assert count.text == f"1 of {rows} partnerships shown"
    search = browser.find_element(By.ID, "search")
    assert search.accessible_name == "Search the register" and search.get_attribute("aria-describedby")


def test_the_page_reflows_at_320_css_pixels(site: Path, browser):
    from selenium.webdriver.common.by import By

    open_page(browser, site, width=320)
    page = browser.execute_script("var d = document.documentElement; return [d.scrollWidth, d.clientWidth]")
    assert page[0] <= page[1], f"the page scrolls sideways at 320px: {page}"
    sticking_out = browser.execute_script("""
      var w = document.documentElement.clientWidth;
      return Array.prototype.filter.call(document.querySelectorAll('body *'), function (e) {
        var r = e.getBoundingClientRect();
        return !e.closest('.scroll') && r.width > 0 && (r.right > w + 0.5 || r.left < -0.5) && !e.matches('.skip-link');
      }).map(function (e) { return e.outerHTML.slice(0, 80); });""")
    assert not sticking_out
    region = browser.find_element(By.CSS_SELECTOR, ".scroll")
    assert region.get_attribute("tabindex") == "0" and region.get_attribute("role") == "region"
    assert region.accessible_name.startswith("Partnership Register")
    assert browser.execute_script("return arguments[0].scrollWidth > arguments[0].clientWidth", region)  # it scrolls itself
    caption = browser.find_element(By.TAG_NAME, "caption")
    assert browser.execute_script("var r = arguments[0].querySelector('span') || arguments[0];"
                                  "return r.getBoundingClientRect().right <= document.documentElement.clientWidth", caption), \
        "the caption is cut off at 320px"


# ----------------------------------------------------------------------------------------------------- the page's text


def test_the_page_structure(site: Path, browser):
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By

    page = (site / "index.html").read_text(encoding="utf-8")
    assert re.search(r'<html lang="en-GB"', page) and page.count("<h1") == 1 and page.count("<main") == 1
    assert "<caption" in page and page.count("<th ") == page.count('<th scope="col"')
    assert not re.search(r"<(link|img|iframe|object|embed|video|audio|source)\b|\bsrc=|url\(|@import", page, re.I)  # nothing fetched
    assert not re.search(r"<script\s+src", page)
    open_page(browser, site)
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text  # noqa: B018 - no planted script ran
    assert browser.execute_script("return document.scripts.length") == 1
    cells = {c.text for c in browser.find_elements(By.CSS_SELECTOR, "#register tbody td:nth-child(2)")}
    if _hostile(site):  # every name shown as it was typed, as text
        for name in HOSTILE_NAMES:
            assert name.strip() in cells or " ".join(name.split()) in cells, name
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<b>bold</b>" not in page
    landmarks = browser.execute_script(
        "return ['header', 'main', 'footer'].map(function (t) { return document.querySelectorAll(t).length; })")
    assert landmarks == [1, 1, 1]
    assert browser.find_element(By.TAG_NAME, "h1").text.startswith("Partnership Register")


def test_without_javascript_the_controls_stay_hidden_and_the_table_is_whole(sample_site: Path, browser):
    from selenium.webdriver.common.by import By

    open_page(browser, sample_site, javascript=False)
    assert not browser.find_element(By.ID, "controls").is_displayed()
    assert not browser.find_elements(By.CSS_SELECTOR, "#register th[aria-sort]")  # nothing claims to sort
    assert all(r.is_displayed() for r in browser.find_elements(By.CSS_SELECTOR, "#register tbody tr"))


# ----------------------------------------------------------------------------------------------------- the CSV


def test_the_csv_is_still_excel_safe_utf8_with_a_bom(hostile_site: Path, workspace: partxl.Workspace):
    import csv

    raw = (hostile_site / "register.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines(keepends=True)))
    assert rows[0] == list(workspace.config.public_fields)
    names = {r[1] for r in rows[1:]}
    assert "'" + '=HYPERLINK("https://example.invalid","Click") & "quotes" <b>bold</b>' in names
    assert "<script>alert(1)</script>" in names and LONG_WORD in names


# ----------------------------------------------------------------------------------------------------- open data


def test_the_data_package_validates_with_frictionless(site: Path):
    import frictionless

    report = frictionless.validate(str(site / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    assert report.stats["tasks"] == 1 and not report.warnings, report.warnings
    assert report.tasks[0].stats["rows"] > 30


def test_the_data_package_describes_the_csv(sample_site: Path, workspace: partxl.Workspace):
    from frictionless import Package

    descriptor = json.loads((sample_site / "datapackage.json").read_text(encoding="utf-8"))
    resource, = descriptor["resources"]
    data = (sample_site / "register.csv").read_bytes()
    assert resource["path"] == "register.csv" and resource["format"] == "csv" and resource["mediatype"] == "text/csv"
    assert resource["encoding"].lower().startswith("utf-8") and resource["bytes"] == len(data)
    assert resource["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()
    assert descriptor["licenses"] == [DEFAULT_LICENCE]
    fields = {f["name"]: f for f in resource["schema"]["fields"]}
    assert list(fields) == list(workspace.config.public_fields)
    assert all(f["title"] for f in fields.values())
    assert fields["Date formed"]["type"] == "date" and fields["Last review"]["type"] == "date"
    assert fields["Annual grant (£)"]["type"] == "number" and fields["Council funding (£ a year)"]["type"] == "number"
    for money in ("Annual grant (£)", "Council funding (£ a year)"):
        assert "GBP" in fields[money]["description"] and "£" in fields[money]["description"] and fields[money]["unit"] == "GBP"
    assert fields["Significant"]["type"] == "boolean" and fields["Significant"]["trueValues"] == ["Yes"]
    assert fields["Partnership name"]["type"] == "string"
    assert resource["schema"]["primaryKey"] == ["Partnership ID"]
    package = Package(str(sample_site / "datapackage.json"))
    table = package.get_resource("register")
    with table:
        assert table.header == list(workspace.config.public_fields)  # the byte-order mark is not part of the first name
        rows = table.read_rows()
    assert isinstance(rows[0]["Date formed"], dt.date) and isinstance(rows[0]["Annual grant (£)"], (int, float, Decimal))
    assert {r["Significant"] for r in rows} <= {True, False, None}


def test_the_licence_is_the_configured_one_and_defaults_to_the_ogl(workspace: partxl.Workspace, tmp_path: Path):
    defaults = tomllib.loads(DEFAULTS_PATH.read_text(encoding="utf-8"))
    assert defaults["publish"]["licence"] == DEFAULT_LICENCE
    assert DEFAULT_LICENCE["name"] == "OGL-UK-3.0"
    chosen = {"name": "CC-BY-4.0", "path": "https://creativecommons.org/licenses/by/4.0/", "title": "Creative Commons <Attribution> 4.0"}
    config = _with_licence(workspace.config, chosen)
    from partxl.outputs.publish import publish

    publish(SAMPLE_REGISTER, tmp_path, workspace.spec, config, AS_OF)
    assert json.loads((tmp_path / "datapackage.json").read_text(encoding="utf-8"))["licenses"] == [chosen]
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert 'href="https://creativecommons.org/licenses/by/4.0/"' in page and "Creative Commons &lt;Attribution&gt; 4.0" in page
    config = _with_licence(workspace.config, {"name": "odd", "path": "javascript:alert(1)", "title": "Odd"})
    publish(SAMPLE_REGISTER, tmp_path, workspace.spec, config, AS_OF)
    assert "javascript:" not in (tmp_path / "index.html").read_text(encoding="utf-8")  # only a web address is linked


def _with_licence(config: Any, licence: dict[str, str]) -> Any:
    """The configuration with ``licence`` as its [publish] licence, whether or not Config has that field yet."""
    if "public_licence" in {f.name for f in dataclasses.fields(config)}:
        value = licence if not isinstance(config.public_licence, tuple) else tuple(licence.items())
        return dataclasses.replace(config, public_licence=value)
    cls = dataclasses.make_dataclass("LicensedConfig", [], bases=(type(config),), frozen=True,
                                     namespace={"public_licence": licence})
    return cls(**{f.name: getattr(config, f.name) for f in dataclasses.fields(config)})


# ----------------------------------------------------------------------------------------------------- cells


@pytest.mark.parametrize("text", [
    "https://meet.example.invalid/" + "x7Kq" * 40,
    LONG_WORD,
    "👩🏽‍🤝‍👩🏻" * 12 + "é" * 40,  # emoji sequences and accents, never split
    "<script>alert(1)</script>&amp;" * 3,
    "Short words\nand a second line",
])
def test_long_text_in_a_cell_can_wrap_and_reads_the_same(text: str):
    import html as html_module

    from partxl.outputs.publish import LONG_RUN, _cell_html

    cell = _cell_html(text)
    assert cell.startswith('<td dir="auto">') and "<script" not in cell
    inner = cell.removeprefix('<td dir="auto">').removesuffix("</td>")
    assert html_module.unescape(inner.replace("<wbr>", "").replace("<br>", "\n")) == text
    if max(len(w) for w in text.split()) > LONG_RUN:
        assert "<wbr>" in inner
        for piece in inner.split("<wbr>"):  # no piece starts with what must stay with the character before it
            first = html_module.unescape(piece)[:1]
            assert first not in ("\u200d", "\ufe0f") and not ("\U0001f3fb" <= first <= "\U0001f3ff")
            assert not re.search(r"&[a-z]*$", piece) or piece.endswith(";")  # and no entity cut in two
    else:
        assert "<wbr>" not in inner
