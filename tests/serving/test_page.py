"""The managers' page in a real browser (Debian's headless Chromium through Selenium) against the real
server; a screenshot of each language is saved under test-artifacts/."""

import re
import shutil
import time
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
ENGLISH_WORD = re.compile(r"[A-Za-z_]{3,}")


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    if not (shutil.which("chromium") and shutil.which("chromedriver")):
        pytest.fail("chromium and chromium-driver are missing: `make test` installs them (make browser)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--window-size=1280,4200", f"--user-data-dir={tmp_path_factory.mktemp('chromium')}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    yield driver
    driver.quit()


def wait_for(condition, seconds=20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("timed out waiting for the page")


def chart_sizes(driver):
    return driver.execute_script(
        "return [...document.querySelectorAll('figure.chart svg')].map(s => {"
        "const r = s.getBoundingClientRect(); return [s.closest('figure').id || 'dependence', r.width, r.height];})")


@pytest.mark.slow
def test_managers_page_in_a_browser(browser, live_server):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    base, token = live_server
    ARTIFACTS.mkdir(exist_ok=True)
    browser.get(f"{base}/drivers?token={token}&lang=en")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Lead scoring: what drives the scores"
    sizes = chart_sizes(browser)
    names = {name for name, _, _ in sizes}
    assert {"chart-drivers", "chart-bands", "chart-sources", "chart-reliability", "dependence"} <= names
    assert all(width > 50 and height > 50 for _, width, height in sizes), sizes
    assert browser.find_element(By.ID, "model-version").text == "1"
    assert "hours to first response" in browser.find_element(By.ID, "model-card").text  # excluded, by its display name

    Select(browser.find_element(By.ID, "example")).select_by_index(1)
    browser.find_element(By.ID, "score-button").click()
    score = wait_for(lambda: browser.find_element(By.ID, "result-score").text)
    assert score.startswith("Score: ")
    assert browser.find_element(By.ID, "result-band").text in {"hot", "warm", "cold"}
    assert browser.find_element(By.ID, "result-action").text.startswith("Next step: ")
    reasons = browser.find_elements(By.CSS_SELECTOR, "#result-reasons li")
    assert reasons and all("score by" in r.text for r in reasons)
    waterfall = [s for s in chart_sizes(browser) if s[0] == "chart-waterfall"]
    assert waterfall and waterfall[0][1] > 100 and waterfall[0][2] > 50
    assert "Rule score" in browser.find_element(By.ID, "result-rule").text
    browser.save_screenshot(str(ARTIFACTS / "drivers-en.png"))

    browser.find_element(By.ID, "lang-zh").click()
    wait_for(lambda: browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "zh-CN")
    assert browser.find_element(By.TAG_NAME, "h1").text == "线索评分：哪些因素决定分数"
    assert all(w > 50 and h > 50 for _, w, h in chart_sizes(browser))
    Select(browser.find_element(By.ID, "example")).select_by_index(2)
    browser.find_element(By.ID, "score-button").click()
    wait_for(lambda: browser.find_element(By.ID, "result-score").text.startswith("评分"))
    reasons = [r.text for r in browser.find_elements(By.CSS_SELECTOR, "#result-reasons li")]
    assert reasons and all("评分" in r for r in reasons)
    # The glossary names every synthetic field and value in Chinese: no English word is left to read.
    assert not [r for r in reasons if ENGLISH_WORD.search(r)], reasons
    drivers = [t.text for t in browser.find_elements(By.CSS_SELECTOR, "#chart-drivers svg text") if t.text]
    assert "网站停留时长（秒）" in drivers and not [t for t in drivers if ENGLISH_WORD.search(t)], drivers
    assert "首次响应时长（小时）" in browser.find_element(By.ID, "model-card").text
    labels = [x.text for x in browser.find_elements(By.CSS_SELECTOR, "#lead-form label")]
    assert "来源渠道" in "".join(labels) and "网页表单" in browser.find_element(By.ID, "lead-form").get_attribute(
        "innerHTML")
    browser.save_screenshot(str(ARTIFACTS / "drivers-zh.png"))


@pytest.mark.slow
def test_page_needs_the_token(live_server):
    import httpx

    base, token = live_server
    assert httpx.get(f"{base}/drivers").status_code == 401
    assert httpx.get(f"{base}/drivers?token=wrong").status_code == 401
    assert httpx.get(f"{base}/drivers", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert httpx.get(f"{base}/static/explainer.js").status_code == 200
