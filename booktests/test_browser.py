"""The built HTML book in headless Chromium, opened from ``file://`` as a reader would.

Every page listed in ``_toc.yml`` (front page, chapters, back matter), the index and
the search page are loaded at a desktop width (1280 px) and a phone width (390 px).
Chromium and chromedriver are Debian's (``apt-get install chromium chromium-driver``);
Selenium drives them and downloads nothing. Screenshots of two pages at both widths go to
``_build/screenshots/`` so a person can look.
"""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from booktests.conftest import APT_BROWSER, BUILD, HTML, PDF_DIR, book_pages, chapter_pages, need

WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}
SCREENSHOT_PAGES = ["index", "chapters/05_mixtures_1d"]
SHOTS = BUILD / "screenshots"


@pytest.fixture(scope="session")
def driver():
    chromium = need("chromium", APT_BROWSER)
    chromedriver = need("chromedriver", APT_BROWSER)
    if not (HTML / "index.html").is_file():
        pytest.fail(f"no built book at {HTML}: run `make book` first", pytrace=False)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--allow-file-access-from-files", "--window-size=1280,900", "--hide-scrollbars"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    drv = webdriver.Chrome(service=Service(chromedriver), options=options)
    drv.set_page_load_timeout(60)
    drv.set_script_timeout(60)
    yield drv
    drv.quit()


class _MathCount(HTMLParser):
    """Counts the formulas a page's HTML source hands to MathJax (Sphinx's ``math`` spans and divs)."""

    def __init__(self):
        super().__init__()
        self.inline = self.display = 0

    def handle_starttag(self, tag, attrs):
        classes = (dict(attrs).get("class") or "").split()
        if "math" in classes:
            if tag == "span":
                self.inline += 1
            elif tag == "div":
                self.display += 1


def source_math(page: Path) -> tuple[int, int]:
    parser = _MathCount()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser.inline, parser.display


LOADED = {}


def load(driver, name: str, width: str, query: str = ""):
    """Open ``name``.html at ``width``, wait for MathJax; return the page's facts (cached)."""
    key = (name, width, query)
    if key in LOADED:
        return LOADED[key]
    w, h = WIDTHS[width]
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": w, "height": h, "deviceScaleFactor": 1, "mobile": width == "phone"})
    driver.get_log("browser")  # drop messages from earlier pages
    driver.get((HTML / f"{name}.html").as_uri() + query)
    typeset = driver.execute_async_script("""
        const done = arguments[arguments.length - 1];
        const start = Date.now();
        (function wait() {
          if (document.readyState === 'complete' && window.MathJax && MathJax.startup && MathJax.startup.promise) {
            MathJax.startup.promise.then(() => done(true), (e) => done('MathJax failed: ' + e));
          } else if (document.readyState === 'complete' && !document.querySelector('script[src*="mathjax" i]')) {
            done(null);  // a page without MathJax
          } else if (Date.now() - start > 30000) {
            done('MathJax did not start in 30 s');
          } else { setTimeout(wait, 50); }
        })();
    """)
    facts = driver.execute_script("""
        const vw = document.documentElement.clientWidth;
        const display = [...document.querySelectorAll('mjx-container[display="true"]')];
        const tooWide = display.filter(c => {
          // fits, or scrolls inside a box of its own that fits the page
          if (c.scrollWidth <= c.clientWidth + 1 && c.getBoundingClientRect().right <= vw + 1) return false;
          for (let box = c; box && box !== document.body; box = box.parentElement) {
            const ox = getComputedStyle(box).overflowX;
            if ((ox === 'auto' || ox === 'scroll') && box.getBoundingClientRect().right <= vw + 1) return false;
          }
          return true;
        }).map(c => (c.closest('[id]') || {}).id || c.textContent.slice(0, 40));
        return {
          viewport: vw,
          scrollWidth: document.documentElement.scrollWidth,
          bodyScrollWidth: document.body.scrollWidth,
          inline: document.querySelectorAll('mjx-container:not([display="true"])').length,
          display: display.length,
          merror: document.querySelectorAll('mjx-merror, [data-mjx-error]').length,
          untypeset: [...document.querySelectorAll('span.math, div.math')]
                       .filter(e => !e.querySelector('mjx-container')).map(e => e.textContent.slice(0, 60)),
          brokenImages: [...document.images].filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src),
          images: document.images.length,
          tooWide: tooWide,
          links: [...document.querySelectorAll('a[href]')].map(a => a.href),
        };
    """)
    facts["typeset"] = typeset
    facts["console"] = [m for m in driver.get_log("browser") if m["level"] in ("SEVERE", "WARNING")]
    LOADED[key] = facts
    return facts


PAGES = [*book_pages(), "genindex", "search"]  # every page, and Sphinx's two generated ones
CASES = [(p, w) for p in PAGES for w in WIDTHS]
IDS = [f"{p}-{w}" for p, w in CASES]


@pytest.mark.parametrize(("name", "width"), CASES, ids=IDS)
def test_page_logs_no_console_error_or_warning(driver, name, width):
    facts = load(driver, name, width)
    assert [m["message"] for m in facts["console"]] == []


@pytest.mark.parametrize(("name", "width"), CASES, ids=IDS)
def test_mathjax_typesets_every_formula_of_the_source_without_error(driver, name, width):
    facts = load(driver, name, width)
    inline, display = source_math(HTML / f"{name}.html")
    if inline + display == 0:
        return
    assert facts["typeset"] is True
    assert facts["merror"] == 0
    assert facts["untypeset"] == []
    assert (facts["inline"], facts["display"]) == (inline, display)


@pytest.mark.parametrize(("name", "width"), CASES, ids=IDS)
def test_every_image_loads(driver, name, width):
    facts = load(driver, name, width)
    assert facts["brokenImages"] == []


@pytest.mark.parametrize(("name", "width"), CASES, ids=IDS)
def test_page_does_not_scroll_sideways(driver, name, width):
    facts = load(driver, name, width)
    assert facts["viewport"] == WIDTHS[width][0]
    assert max(facts["scrollWidth"], facts["bodyScrollWidth"]) <= facts["viewport"]


@pytest.mark.parametrize(("name", "width"), CASES, ids=IDS)
def test_every_display_equation_fits_or_scrolls_in_its_own_box(driver, name, width):
    facts = load(driver, name, width)
    assert facts["tooWide"] == []


def _local(url: str) -> Path:
    parsed = urlparse(url)
    assert parsed.scheme == "file", url
    return Path(unquote(parsed.path))


@pytest.mark.parametrize("name", chapter_pages())
def test_chapter_download_links_point_to_files_that_exist(driver, name):
    facts = load(driver, name, "desktop")
    stem = Path(name).name
    wanted = {".ipynb": f"{stem}.ipynb", ".md": f"{stem}.md"}
    pdfs = sorted(PDF_DIR.glob("*.pdf"))
    if pdfs:  # `make pdf` has run: the book's PDF is offered too
        wanted[".pdf"] = pdfs[0].name
    for suffix, filename in wanted.items():
        links = [u for u in facts["links"] if urlparse(u).path.endswith("/" + filename)]
        assert links, f"no {suffix} download link on {name}"
        for url in links:
            assert _local(url).is_file(), url


def test_images_were_really_present_on_some_page(driver):
    """The image check is not vacuous: the chapters show figures."""
    counts = [load(driver, name, "desktop")["images"] for name in chapter_pages()]
    assert sum(counts) >= len(counts)


def test_search_page_finds_a_chapter_specific_word(driver):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    word, chapter = "SQUAREM", "07_convergence"
    load(driver, "search", "desktop", f"?q={word}")
    WebDriverWait(driver, 30).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "#search-results ul.search li")
        or "did not match" in d.find_element(By.ID, "search-results").text)
    hits = [a.get_attribute("href") for a in
            driver.find_elements(By.CSS_SELECTOR, "#search-results ul.search li a")]
    assert any(chapter in h for h in hits), hits
    errors = [m["message"] for m in driver.get_log("browser") if m["level"] == "SEVERE"]
    assert errors == []


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", SCREENSHOT_PAGES)
def test_screenshot_is_written_for_a_person_to_look_at(driver, name, width):
    LOADED.pop((name, width, ""), None)  # navigate to the page again
    load(driver, name, width)
    SHOTS.mkdir(parents=True, exist_ok=True)
    shot = SHOTS / f"{name.replace('/', '_')}-{WIDTHS[width][0]}px.png"
    shot.unlink(missing_ok=True)
    assert driver.save_screenshot(str(shot))
    assert shot.stat().st_size > 10_000


@pytest.mark.parametrize("width", WIDTHS)
def test_solutions_start_closed_and_open_on_a_click(driver, width):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    LOADED.pop(("chapters/05_mixtures_1d", width, ""), None)
    load(driver, "chapters/05_mixtures_1d", width)
    solutions = driver.find_elements(By.CSS_SELECTOR, "div.solution.dropdown")
    assert solutions, "the chapter has solutions"
    WebDriverWait(driver, 10).until(  # sphinx-togglebutton closes them once the page loads
        lambda d: all("toggle-hidden" in s.get_attribute("class") for s in solutions))
    exercise = driver.find_element(By.CSS_SELECTOR, "div.exercise")
    assert exercise.is_displayed()  # the exercise itself stays open
    first = solutions[0]
    body = first.find_elements(By.CSS_SELECTOR, ":scope > :not(.admonition-title)")
    assert body and not any(part.is_displayed() for part in body)
    button = first.find_element(By.CSS_SELECTOR, ".toggle-button")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", button)
    button.click()
    WebDriverWait(driver, 10).until(lambda d: "toggle-hidden" not in first.get_attribute("class"))
    WebDriverWait(driver, 10).until(lambda d: any(part.is_displayed() for part in body))


ANIMATED = ["chapters/04_jensen_elbo", "chapters/05_mixtures_1d",
            "chapters/06_mixtures_multivariate"]


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", ANIMATED)
def test_each_animation_shows_a_frame_steps_plays_and_pauses_and_fits_the_page(driver, name, width):
    """The players of emcore.animation, offline: frames embedded, buttons drawn inline."""
    import time

    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    LOADED.pop((name, width, ""), None)
    load(driver, name, width)
    players = driver.find_elements(By.CSS_SELECTOR, ".emcore-animation")
    assert players, f"{name} shows no animation"
    for player in players:
        img = player.find_element(By.CSS_SELECTOR, "img[id^='_anim_img']")
        slider = player.find_element(By.CSS_SELECTOR, "input.anim-slider")
        shown = "return arguments[0].complete && arguments[0].naturalWidth"
        WebDriverWait(driver, 10).until(lambda d: d.execute_script(shown, img))
        assert img.get_attribute("src").startswith("data:image/png;base64,")
        assert int(slider.get_attribute("max")) >= 7          # at least eight frames

        def press(title):
            button = player.find_element(By.CSS_SELECTOR, f"button[title='{title}']")
            driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", button)
            assert button.is_displayed() and button.size["width"] > 0
            button.click()

        first = img.get_attribute("src")
        press("Next frame")
        WebDriverWait(driver, 5).until(lambda d: img.get_attribute("src") != first)
        assert slider.get_attribute("value") == "1"
        press("Play")
        WebDriverWait(driver, 15).until(lambda d: int(slider.get_attribute("value")) >= 3)
        press("Pause")
        paused = slider.get_attribute("value")
        time.sleep(1.5)                                      # longer than one frame
        assert slider.get_attribute("value") == paused
        box = driver.execute_script(
            "const r = arguments[0].getBoundingClientRect(); return [r.left, r.right];", player)
        assert 0 <= box[0] and box[1] <= WIDTHS[width][0]
    sideways = driver.execute_script("return Math.max(document.documentElement.scrollWidth, "
                                     "document.body.scrollWidth)")
    assert sideways <= WIDTHS[width][0]


# ---- Dark mode: every figure stays readable -----------------------------------------------

def _luminance(rgb):
    """WCAG relative luminance of sRGB colours (0-255 components, last axis)."""
    import numpy as np

    c = np.asarray(rgb, dtype=float)[..., :3] / 255
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return linear @ np.array([0.2126, 0.7152, 0.0722])


def _css_rgb(color: str) -> tuple[int, ...]:
    import re

    return tuple(int(float(v)) for v in re.findall(r"[\d.]+", color)[:3])


def _open_in_mode(driver, name: str, mode: str):
    """Open a page and pick ``mode`` in the theme's colour-mode menu, as a reader would."""
    from selenium.webdriver.support.ui import WebDriverWait

    w, h = WIDTHS["desktop"]
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": w, "height": h, "deviceScaleFactor": 1, "mobile": False})
    driver.get((HTML / f"{name}.html").as_uri())
    WebDriverWait(driver, 30).until(
        lambda d: d.execute_script("return document.readyState") == "complete")
    clicked = driver.execute_script(f"""
        const button = document.querySelector('.theme-change-button[data-mode="{mode}"]');
        if (button) button.click();
        return !!button;""")
    assert clicked, "the theme's colour-mode menu is missing"
    WebDriverWait(driver, 10).until(
        lambda d: d.execute_script("return document.documentElement.dataset.theme") == mode)


@pytest.fixture
def back_to_light(driver):
    """The colour mode is stored in the browser: leave it light for the other tests."""
    yield
    driver.execute_script("localStorage.removeItem('mode'); localStorage.removeItem('theme');")
    LOADED.clear()


@pytest.mark.parametrize("name", chapter_pages())
def test_every_figure_has_a_white_backdrop_in_dark_mode(driver, back_to_light, name):
    _open_in_mode(driver, name, "dark")
    page, backdrops = driver.execute_script("""
        return [getComputedStyle(document.body).backgroundColor,
                [...document.querySelectorAll('div.cell_output img')].map(
                    i => [i.src.slice(-40), getComputedStyle(i).backgroundColor])];""")
    assert _luminance(_css_rgb(page)) < 0.1, f"the page is not dark: {page}"
    dark = [(src, color) for src, color in backdrops if _luminance(_css_rgb(color)) < 0.9]
    assert dark == []


def _figure_contrast(driver) -> tuple[float, float]:
    """(contrast ratio of a figure's ink to its paper, its paper's luminance), from a screenshot."""
    import io

    import numpy as np
    from PIL import Image
    from selenium.webdriver.common.by import By

    image = driver.find_elements(By.CSS_SELECTOR, "div.cell_output img")[0]
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", image)
    shot = np.asarray(Image.open(io.BytesIO(image.screenshot_as_png)).convert("RGB"))
    lum = _luminance(shot)
    paper, ink = np.percentile(lum, 50), np.percentile(lum, 0.5)
    return (paper + 0.05) / (ink + 0.05), paper


def test_a_figure_keeps_its_contrast_in_light_and_dark_mode(driver, back_to_light):
    """Screenshot the first figure of the mixtures chapter in both modes and measure it:
    its text and lines (the darkest pixels) against its paper (the median pixel) must keep at
    least WCAG's 7:1 contrast for text, and the paper must stay light on the dark page."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for mode in ("light", "dark"):
        _open_in_mode(driver, "chapters/05_mixtures_1d", mode)
        contrast, paper = _figure_contrast(driver)
        driver.save_screenshot(str(SHOTS / f"chapters_05_mixtures_1d-{mode}-figure.png"))
        assert paper > 0.5, (mode, paper)
        assert contrast >= 7, (mode, contrast)
