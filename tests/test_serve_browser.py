"""The explorer page in a real browser: Debian's Chromium driven by Playwright, against a real
`wordvec serve` process on 127.0.0.1 serving models trained on PTB.

Chromium comes from the system (`apt-get install chromium`; `.ci/run` installs it), never from
Playwright's own download. Outside CI a machine without it skips these tests; in CI (CI=true) a
missing browser fails them. A failing test leaves a screenshot in $WORDVEC_SCREENSHOTS (default:
test-screenshots/ in the project).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import numpy as np
import pytest

from wordvec.vectors import KeyedVectors

PROJECT = Path(__file__).resolve().parents[1]
SCREENSHOTS = Path(os.environ.get("WORDVEC_SCREENSHOTS", PROJECT / "test-screenshots"))
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage"]
HOSTILE_WORDS = ["<img src=x onerror=alert(1)>", "<script>alert(2)</script>", '"><svg onload=alert(3)>',
                 "&lt;b&gt;entity&lt;/b&gt;", "javascript:alert(4)"]
HOSTILE_NAME = "<i onmouseover=alert(7)>hostile.npz"


def chromium_path() -> str:
    path = os.environ.get("WORDVEC_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        message = "the browser tests need Debian's chromium: apt-get install chromium (or set WORDVEC_CHROMIUM)"
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return path


@pytest.fixture(scope="module")
def models(ptb_vector_files, tmp_path_factory) -> dict[str, Path]:
    """The PTB files, plus a copy of skip-gram whose nearest neighbours of "you" are markup, named
    like markup, with markup in its metadata."""
    kv = KeyedVectors.load(ptb_vector_files["skipgram"])
    rng = np.random.default_rng(0)
    base = kv["you"]
    extra = np.stack([base + rng.standard_normal(base.shape).astype(np.float32) * 0.01 for _ in HOSTILE_WORDS])
    hostile = KeyedVectors(np.concatenate([kv.vectors, extra]), kv.index_to_key + HOSTILE_WORDS,
                           metadata={"corpus": "<script>alert(5)</script>", "note": "<img src=q onerror=alert(6)>"})
    path = tmp_path_factory.mktemp("hostile") / HOSTILE_NAME
    hostile.save(path)
    return {**ptb_vector_files, "hostile": path}


@pytest.fixture(scope="module")
def server(models):
    order = [models[k] for k in ("skipgram", "ppmi", "hostile", "subwords")]
    proc = subprocess.Popen([sys.executable, "-m", "wordvec", "serve", *map(str, order), "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    if not line.startswith("serving at "):
        proc.kill()
        pytest.fail(f"wordvec serve did not start: {line!r} {proc.stderr.read()[-2000:]}")
    yield line.split()[2]
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0 and "Traceback" not in err, err


@pytest.fixture(scope="module")
def browser():
    executable = chromium_path()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


class Page:
    """A fresh browser page on the explorer that records script errors and dialogs."""

    def __init__(self, page, url: str):
        self.page, self.url = page, url
        self.errors: list[str] = []
        self.console: list[str] = []
        self.dialogs: list[str] = []
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        page.on("console", lambda msg: msg.type == "error" and self.console.append(msg.text))
        page.on("dialog", self._dialog)
        page.set_default_timeout(20_000)

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def open(self, fragment: str = "") -> None:
        self.page.goto(self.url + fragment)
        self.page.wait_for_selector("body[data-ready='1']")

    def search(self, word: str) -> None:
        self.page.fill("#search", word)
        self.page.press("#search", "Enter")
        self.wait_word(word)

    def wait_word(self, word: str) -> None:
        self.page.wait_for_function("w => document.body.dataset.word === w", arg=word)

    def pane(self, i: int):
        return self.page.locator(f".pane[data-pane='{i}']")

    def neighbours(self, i: int) -> list[str]:
        return self.pane(i).locator("table.neighbours td.word").all_inner_texts()

    def map_words(self, i: int) -> list[str]:
        """The words of a pane's map points (labels longer than 24 characters are shortened)."""
        points = self.pane(i).locator("svg.map g.point")
        words = points.evaluate_all("els => els.map(e => e.getAttribute('data-word'))")
        labels = points.locator("text").all_text_contents()
        assert labels == [w if len(w) <= 24 else w[:23] + "\u2026" for w in words]
        return words

    def choose_model(self, pane: int, model: int) -> None:
        self.pane(pane).locator("select.model-select").select_option(str(model))

    def no_script_errors(self) -> None:
        assert self.errors == [] and self.dialogs == []
        # the page's only console errors may be the browser's note on a 404 answer (an unknown word)
        assert all("status of 404" in text for text in self.console), self.console


@pytest.fixture
def page(browser, server, request):
    context = browser.new_context(viewport={"width": 1400, "height": 950})
    page = Page(context.new_page(), server)
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.page.screenshot(path=str(SCREENSHOTS / f"{request.node.name}.png"), full_page=True)
    context.close()


@pytest.fixture(scope="module")
def kvs(models):
    return {name: KeyedVectors.load(path) for name, path in models.items()}


def test_page_shows_two_models(page, models):
    page.open()
    summary = page.page.inner_text("#summary")
    assert models["skipgram"].name in summary and models["ppmi"].name in summary and "4 models" in summary
    assert page.page.locator(".pane").count() == 2
    assert page.pane(0).locator("select.model-select").input_value() == "0"
    assert page.pane(1).locator("select.model-select").input_value() == "1"
    assert "9,858 words × 100" in page.pane(0).inner_text()
    page.no_script_errors()


def test_completion_and_search(page, kvs):
    page.open()
    page.page.type("#search", "yo", delay=30)
    page.page.wait_for_selector("#completions li")
    offered = page.page.locator("#completions li").all_inner_texts()
    assert "you" in offered and all(w.startswith("yo") for w in offered)
    for _ in range(offered.index("you") + 1):
        page.page.press("#search", "ArrowDown")
    page.page.press("#search", "Enter")
    page.wait_word("you")
    assert page.page.input_value("#search") == "you"
    for i, name in enumerate(("skipgram", "ppmi")):
        assert page.neighbours(i) == [w for w, _ in kvs[name].most_similar("you", topn=10)]
        assert page.map_words(i)[0] == "you" and len(page.map_words(i)) == 11
        assert "you" in page.pane(i).locator(".neighbours-title").inner_text()
    assert page.neighbours(0) != page.neighbours(1)  # two models, two neighbourhoods
    assert {"we", "i"} & set(page.neighbours(0))
    assert "#word=you" in page.page.url
    page.page.type("#search", "s", delay=0)  # a completion request on its way ...
    page.page.press("#search", "Enter")  # ... when the word is chosen: the list must not come back
    page.wait_word("yous")  # not a PTB word: each pane says so
    page.page.wait_for_timeout(400)
    assert page.page.locator("#completions").is_hidden()
    page.no_script_errors()


def test_map_hover_shows_the_word_and_click_recentres(page, kvs):
    page.open("#word=you")
    page.wait_word("you")
    point = page.pane(0).locator("svg.map g.point").nth(3)
    word = point.get_attribute("data-word")
    point.locator("circle").hover()
    tooltip = page.page.locator("#tooltip")
    tooltip.wait_for(state="visible")
    assert tooltip.inner_text().split()[0] == word
    point.locator("circle").click()
    page.wait_word(word)
    assert page.page.input_value("#search") == word
    assert page.map_words(0)[0] == word
    assert page.neighbours(0) == [w for w, _ in kvs["skipgram"].most_similar(word, topn=10)]
    page.pane(1).locator("table.neighbours a.word-link").first.click()  # a neighbour's link re-centres too
    first = kvs["ppmi"].most_similar(word, topn=1)[0][0]
    page.wait_word(first)
    page.no_script_errors()


@pytest.mark.parametrize("method", ["add", "mul"])
def test_analogy(page, kvs, method):
    page.open()
    page.page.fill("#analogy-a", "take")
    page.page.fill("#analogy-b", "took")
    page.page.fill("#analogy-c", "go")
    page.page.select_option("#analogy-method", method)
    page.page.click("#analogy-form button")
    page.page.wait_for_function("() => document.body.dataset.analogy === 'take:took=go'")
    for i, name in enumerate(("skipgram", "ppmi")):
        shown = page.pane(i).locator("table.analogy td.word").all_inner_texts()
        assert shown == [w for w, _ in kvs[name].analogy("take", "took", "go", topn=5, method=method)]
        assert ("3CosMul" if method == "mul" else "3CosAdd") in page.pane(i).locator(".analogy-title").inner_text()
    page.no_script_errors()


def test_hostile_words_render_as_text(page, models):
    page.open()
    page.choose_model(0, 2)
    assert HOSTILE_NAME in page.pane(0).locator("select.model-select").inner_text()
    page.search("you")
    shown = page.neighbours(0)
    assert set(HOSTILE_WORDS) <= set(shown), shown
    assert set(HOSTILE_WORDS) <= set(page.map_words(0))
    page.pane(0).locator("details summary").click()
    details = page.pane(0).locator("dl.metadata-list").inner_text()
    assert "<script>alert(5)</script>" in details and "<img src=q onerror=alert(6)>" in details
    # a hostile word as the query: from the URL, from completion, and re-centred by a click
    page.page.goto(page.url + "#word=" + quote(HOSTILE_WORDS[0]))
    page.wait_word(HOSTILE_WORDS[0])
    assert HOSTILE_WORDS[0] in page.pane(0).locator(".neighbours-title").inner_text()
    page.page.fill("#search", "")
    page.page.type("#search", "<scr", delay=30)
    page.page.wait_for_selector("#completions li")
    assert page.page.locator("#completions li").all_inner_texts() == [HOSTILE_WORDS[1]]
    page.page.locator("#completions li").first.dispatch_event("mousedown")
    page.wait_word(HOSTILE_WORDS[1])
    page.pane(0).locator(f"svg.map g.point[data-word='{HOSTILE_WORDS[2]}'] circle").hover()
    assert page.page.locator("#tooltip").inner_text().startswith(HOSTILE_WORDS[2])
    counts = page.page.evaluate("""() => ({
        img: document.querySelectorAll('img').length,
        script: document.querySelectorAll('script').length,
        svgOnload: document.querySelectorAll('svg[onload], [onerror], [onmouseover], i').length })""")
    assert counts == {"img": 0, "script": 1, "svgOnload": 0}
    page.no_script_errors()


def test_unknown_word_and_empty_query_say_so(page):
    page.open()
    page.search("qqqzzzx")
    for i in (0, 1):
        assert "not in vocabulary: 'qqqzzzx'" in page.pane(i).locator(".pane-message").inner_text()
        assert page.neighbours(i) == []
    page.page.fill("#search", "   ")
    page.page.press("#search", "Enter")
    assert page.page.locator("#message").inner_text() == "Type a word first."
    page.page.fill("#analogy-a", "take")
    page.page.click("#analogy-form button")
    assert "needs three words" in page.page.locator("#message").inner_text()
    page.no_script_errors()


def test_subword_model_shows_unseen_words(page, kvs):
    page.open()
    page.choose_model(1, 3)
    page.search("unstockable")
    assert "not in vocabulary" in page.pane(0).locator(".pane-message").inner_text()
    assert "character n-grams" in page.pane(1).locator(".pane-message").inner_text()
    assert page.neighbours(1) == [w for w, _ in kvs["subwords"].most_similar("unstockable", topn=10)]
    assert page.map_words(1)[0] == "unstockable"
    assert "subwords" in page.pane(1).locator(".model-size").inner_text()
    page.no_script_errors()


def test_metadata_and_loss_curve(page):
    page.open()
    page.pane(0).locator("details summary").click()
    details = page.pane(0).locator("dl.metadata-list").inner_text()
    assert "skipgram" in details and "ptb" in details
    loss = page.pane(0).locator("svg.loss")
    loss.wait_for(state="visible")
    assert loss.locator("polyline").count() == 1 and "epoch_loss" in loss.text_content()
    page.pane(1).locator("details summary").click()
    assert page.pane(1).locator("svg.loss").is_hidden()  # PPMI has no loss history
    page.no_script_errors()


def test_map_method_choice(page):
    page.open("#word=you")
    page.wait_word("you")
    methods = page.page.locator("#map-method option").all_inner_texts()
    assert methods[0] == "PCA"
    if "t-SNE" not in methods:
        pytest.skip("t-SNE needs scikit-learn")
    page.page.evaluate("() => { delete document.body.dataset.word; }")
    page.page.select_option("#map-method", "tsne")
    page.wait_word("you")
    assert page.pane(0).locator("svg.map .map-caption").text_content().startswith("t-SNE")
    page.no_script_errors()


def test_a_late_answer_never_replaces_a_newer_word(page, kvs):
    """The map for "the" is held back until "company" has been shown: when it finally arrives it
    is dropped, and the pane keeps company's neighbourhood (the map failing does not hide the
    neighbours either)."""
    held = []
    page.page.route(lambda url: "/api/map" in url and "word=the&" in url, lambda route: held.append(route))
    page.open()
    page.page.fill("#search", "the")
    page.page.press("#search", "Enter")
    page.page.wait_for_function("() => document.querySelectorAll('table.neighbours tbody tr').length > 0")
    page.search("company")
    assert held, "the map request for 'the' was not held"
    for route in held:
        route.continue_()
    page.page.wait_for_timeout(800)
    assert page.map_words(0)[0] == "company" and page.map_words(1)[0] == "company"
    assert page.neighbours(0) == [w for w, _ in kvs["skipgram"].most_similar("company", topn=10)]
    page.page.unroute_all()
    page.page.go_back()  # Back returns to the previous word
    page.wait_word("the")
    assert page.page.input_value("#search") == "the"
    page.no_script_errors()
