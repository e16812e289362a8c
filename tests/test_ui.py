"""The cluster browser at /ui, driven in a real headless Chromium (Debian's chromium and chromium-driver)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import Api
from test_metrics import BRIDGE, BRIDGE_COPY, FOOTBALL

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
SCREENSHOT = Path("/tmp/samestory-ui.png")

try:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError:  # pragma: no cover - the test extra installs it
    webdriver = None  # type: ignore[assignment]

pytestmark = pytest.mark.skipif(
    webdriver is None or CHROMIUM is None or CHROMEDRIVER is None,
    reason="the browser test needs Debian's chromium and chromium-driver "
    "(apt-get install -y chromium chromium-driver; .ci/run does it) and the selenium package",
)


@pytest.fixture
def browser() -> Iterator[Any]:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM or ""
    profile = tempfile.mkdtemp(prefix="samestory-chromium-")
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1280,900",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER or ""), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def wait_for(driver: Any, css: str, timeout: float = 20) -> Any:
    return WebDriverWait(driver, timeout).until(ec.visibility_of_element_located((By.CSS_SELECTOR, css)))


def test_browse_clusters_open_one_and_read_an_article(api: Api, browser: Any) -> None:
    # Titles are given, so that the headlines shown do not depend on the cleaner's title extraction.
    for article_id, text, source, day, title in (
        ("bridge-1", BRIDGE, "nos.nl", "2024-05-14", "Rotterdam approves harbour bridge"),
        ("bridge-2", BRIDGE_COPY, "dutchnews.nl", "2024-05-15", "Harbour bridge gets the go-ahead"),
        ("cup-1", FOOTBALL, "record.pt", "2024-05-26", "Late goal gives Porto the cup"),
    ):
        body = {"id": article_id, "text": text, "source": source, "published_at": day, "title": title}
        assert api.http.post("/articles", json=body).is_success
    api.drain()

    browser.get(f"{api.base_url}/ui")
    largest = wait_for(browser, "#largest-clusters li.cluster")
    assert "2 articles" in largest.text
    WebDriverWait(browser, 20).until(lambda d: "Rotterdam approves harbour bridge" in largest.text)
    assert len(browser.find_elements(By.CSS_SELECTOR, "#recent-clusters li.cluster")) == 2

    largest.find_element(By.CSS_SELECTOR, "a.card-link").click()
    wait_for(browser, "#cluster-articles tbody tr")
    rows = browser.find_elements(By.CSS_SELECTOR, "#cluster-articles tbody tr")
    assert [r.get_attribute("data-article") for r in rows] == ["bridge-1", "bridge-2"]
    assert "nos.nl" in rows[0].text and "2024-05-14" in rows[0].text and "original" in rows[0].text
    assert "copy of bridge-1" in rows[1].text and "dutchnews.nl" in rows[1].text
    assert browser.find_element(By.ID, "cluster-title").text == "Rotterdam approves harbour bridge"
    assert "null" not in browser.find_element(By.ID, "view").text.split()
    browser.save_screenshot(str(SCREENSHOT))
    assert SCREENSHOT.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    rows[1].find_element(By.CSS_SELECTOR, "td a").click()
    text = wait_for(browser, "#article-body p")
    assert "ending a debate that had lasted more than ten years" in text.text
    # what the page shows is what the API says was kept and cut (the cleaner's choices are tested elsewhere)
    article = api.http.get("/articles/bridge-2", params={"include": "removed"}).json()
    cut = [block["text"] for block in article["removed"]]
    assert cut, "the test page has chrome for the cleaner to cut"
    struck = [d.text for d in browser.find_elements(By.CSS_SELECTOR, "#article-removed del")]
    assert struck == cut
    body = browser.find_element(By.ID, "article-body").text
    assert " ".join(body.split()) == " ".join(article["body"].split())
    assert (
        browser.find_element(By.CSS_SELECTOR, "#article-removed del").value_of_css_property(
            "text-decoration-line"
        )
        == "line-through"
    )
    assert browser.find_element(By.ID, "article-title").text == "Harbour bridge gets the go-ahead"
    assert browser.execute_script("return location.hash") == "#/article/bridge-2"


def test_paste_an_article_and_see_where_it_lands(api: Api, browser: Any, worker: None) -> None:
    api.http.post("/articles", json={"id": "bridge-1", "text": BRIDGE, "source": "nos.nl"})
    browser.get(f"{api.base_url}/ui#/paste")
    wait_for(browser, "#paste-text").send_keys(BRIDGE_COPY)
    browser.find_element(By.ID, "paste-source").send_keys("example.org")
    browser.find_element(By.CSS_SELECTOR, "#paste-form button").click()
    landed = wait_for(browser, "#paste-result .landed", timeout=60)
    assert "landed in story c1 with 1 other article, as a copy of bridge-1" in landed.text
    landed.find_element(By.LINK_TEXT, "c1").click()
    wait_for(browser, "#cluster-articles tbody tr")
    assert len(browser.find_elements(By.CSS_SELECTOR, "#cluster-articles tbody tr")) == 2
