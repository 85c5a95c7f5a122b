"""The managers' page in a real browser (Debian's headless Chromium through Selenium) against the real
server, and another team's page (a month column, hash-like ids, no source column) opened as the run's
report; a screenshot of each page and language is saved under test-artifacts/."""

import re
import shutil
import time
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
ENGLISH_WORD = re.compile(r"[A-Za-z_]{3,}")
CJK = "\u3400-\u9fff\uff00-\uffef\u3000-\u303f"
# Half-width punctuation touching Chinese on either side (spaces allowed): "预算: 分", "a, b（", "(来源)".
HALF_WIDTH_IN_CHINESE = re.compile(rf"[{CJK}]\s*[,:;()!?]|[,:;()!?]\s*[{CJK}]")
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]


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
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # console messages, for the error check
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


def console_errors(driver) -> list[str]:
    """Console errors since the last call (a failed /favicon.ico request shows up here as a 404)."""
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def half_width_in_chinese(driver) -> list[str]:
    """Every visible text on the page (SVG chart text included) with half-width punctuation in Chinese."""
    texts = driver.execute_script(
        "const out = []; const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);"
        "while (walker.nextNode()) { const n = walker.currentNode; if (n.parentElement.closest('script,style'))"
        " continue; if (n.textContent.trim()) out.push(n.textContent.trim()); }"
        "for (const o of document.querySelectorAll('option')) out.push(o.text); return out;")
    return [t for t in texts if HALF_WIDTH_IN_CHINESE.search(t)]


def summary_figures(text: str) -> list[float]:
    return [float(x) for x in re.findall(r"(\d+(?:\.\d+)?) (?:in 100|times)", text)]


def chart_sizes(driver):
    return driver.execute_script(
        "return [...document.querySelectorAll('figure.chart svg')].map(s => {"
        "const r = s.getBoundingClientRect(); return [s.closest('figure').id || 'dependence', r.width, r.height];})")


@pytest.mark.slow
def test_managers_page_in_a_browser(browser, live_server, registry):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    base, token = live_server
    ARTIFACTS.mkdir(exist_ok=True)
    browser.get(f"{base}/drivers?token={token}&lang=en")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Lead scoring: what drives the scores"

    # The summary's figures are the run's held-out numbers (hot and cold conversion per 100, top-10% lift
    # of the model and of the points table), rounded as written.
    metrics = registry[1].metrics["models"]
    summary = browser.find_element(By.ID, "summary").text
    assert "Of the leads the model calls hot" in summary and "the points table finds" in summary, summary
    hot, cold, lift, rules_lift = summary_figures(summary)
    served = registry[1].metrics["served"]
    bands = metrics[served]["bands"]
    assert hot == pytest.approx(100 * bands["hot"]["conversion_rate"], abs=0.51)
    assert cold == pytest.approx(100 * bands["cold"]["conversion_rate"], abs=0.051)
    assert lift == pytest.approx(metrics[served]["lift_top10"], abs=0.051)
    assert rules_lift == pytest.approx(metrics["rules"]["lift_top10"], abs=0.051)
    held_out = sum(b["leads"] for b in bands.values())
    assert f"{held_out:,} leads the model never saw" in summary
    # Technical names only in the folded details, and translated there.
    details = browser.find_element(By.ID, "details")
    assert details.get_attribute("open") is None
    page_source = browser.page_source
    assert "logistic_regression" not in browser.find_element(By.TAG_NAME, "body").text
    assert "naive_bayes_odoo" not in page_source.replace('data-model="naive_bayes_odoo"', "")
    assert re.fullmatch(r"\d{1,2} [A-Z][a-z]+ \d{4}", browser.find_element(By.ID, "trained-at").text)
    details.find_element(By.TAG_NAME, "summary").click()  # unfold: the reliability chart is drawn
    metric_rows = [r.text for r in browser.find_elements(By.CSS_SELECTOR, "#metrics tr td:first-child")]
    assert metric_rows == ["the base rate (every lead alike)", "the model", "its LightGBM part alone",
                           "logistic regression", "naive Bayes (as in Odoo)", "the points table"], metric_rows
    sizes = chart_sizes(browser)
    names = {name for name, _, _ in sizes}
    assert {"chart-drivers", "chart-bands", "chart-sources", "chart-reliability", "dependence",
            "chart-engagement"} <= names
    assert all(width > 50 and height > 50 for _, width, height in sizes), sizes
    assert browser.find_element(By.ID, "model-version").text == "1"
    assert "hours to first response" in browser.find_element(By.ID, "model-card").text  # excluded, by its display name

    # The picker is labelled and its examples say what they are ("a hot referral lead (score 83)").
    assert browser.find_element(By.CSS_SELECTOR, "label[for=example]").text == "Example lead"
    examples = [o.text for o in Select(browser.find_element(By.ID, "example")).options[1:]]
    assert examples and all(re.fullmatch(r"a (hot|warm|cold) .*lead \(score \d+\)", e) for e in examples), examples
    assert examples[0].startswith("a hot ") and examples[-1].startswith("a cold ")
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
    assert re.fullmatch(r"Rule score: \d+(\.\d+)? points \(the team's points table\)",
                        browser.find_element(By.ID, "result-rule").text)
    rule_reasons = [r.text for r in browser.find_elements(By.CSS_SELECTOR, "#result-rule-reasons li")]
    assert rule_reasons and all(re.search(r" adds \d+(\.\d+)? points$", r) for r in rule_reasons), rule_reasons
    # The "other fields" step says how many fields it holds and names them (on hover and below the chart).
    others = browser.find_elements(By.CSS_SELECTOR, "#chart-waterfall g.others-step")
    if others:
        label = others[0].find_element(By.CSS_SELECTOR, "text").text
        count = int(re.fullmatch(r"(\d+) other fields", label).group(1))
        hover = others[0].find_element(By.TAG_NAME, "title").get_attribute("textContent")
        assert len(hover.split(", ")) == count
        assert browser.find_element(By.ID, "result-others").text.startswith("Other fields, together ")
    assert not console_errors(browser)  # no 404 (favicon included), no script error
    browser.save_screenshot(str(ARTIFACTS / "drivers-en.png"))

    browser.find_element(By.ID, "lang-zh").click()
    wait_for(lambda: browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "zh-CN")
    assert browser.find_element(By.TAG_NAME, "h1").text == "线索评分：哪些因素决定分数"
    browser.find_element(By.CSS_SELECTOR, "#details summary").click()
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
    summary = browser.find_element(By.ID, "summary").text
    assert "模型判为热线索的客户中" in summary and "积分表是" in summary, summary
    assert re.fullmatch(r"\d{4}年\d{1,2}月\d{1,2}日", browser.find_element(By.ID, "trained-at").text)
    assert browser.find_element(By.ID, "result-rule").text.startswith("规则评分：")
    assert not half_width_in_chinese(browser), half_width_in_chinese(browser)
    assert not console_errors(browser)
    browser.save_screenshot(str(ARTIFACTS / "drivers-zh.png"))


@pytest.mark.slow
@pytest.mark.parametrize(("lang", "title"), [("en", "Activities: what drives conversion, and how fast it fades"),
                                             ("zh", "客户活动：哪些活动推动转化，效果消退得多快")])
def test_activities_section_in_a_browser(browser, live_server, registry, lang, title):
    """Each kept activity type's effect by when the lead last did it, the conversion by days since the last
    activity as a drawn chart, in the reader's language."""
    from selenium.webdriver.common.by import By

    base, token = live_server
    console_errors(browser)  # what earlier pages of the shared browser logged is not this page's
    browser.get(f"{base}/drivers?token={token}&lang={lang}")
    engagement = browser.find_element(By.ID, "engagement")
    assert engagement.find_element(By.TAG_NAME, "h2").text == title
    kinds = [r.get_attribute("data-type") for r in engagement.find_elements(By.CSS_SELECTOR, "tr[data-type]")]
    assert sorted(kinds) == sorted(dict(registry[1].pipeline.steps)["context"].types_), kinds
    cells = [c.text for c in engagement.find_elements(By.CSS_SELECTOR, "#engagement-effects td[data-points]")]
    assert cells and all(re.fullmatch(r"([+-]\d+\.\d|–)( \(|（)[\d,]+(\)|）)", c) for c in cells), cells
    assert [s for s in chart_sizes(browser) if s[0] == "chart-engagement" and s[1] > 50 and s[2] > 50]
    if lang == "zh":
        words = " ".join(e.text for e in engagement.find_elements(By.CSS_SELECTOR, "h2, p, table, ul, figcaption"))
        assert not ENGLISH_WORD.search(words), words  # activity types named by the glossary
        assert not half_width_in_chinese(browser), half_width_in_chinese(browser)
    assert not console_errors(browser)
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / f"activities-{lang}.png"))


READ_LEAD = ("const lead = {}; for (const e of document.getElementById('lead-form').elements) {"
             " if (!e.name || e.value === '') continue;"
             " lead[e.name] = e.type === 'number' ? Number(e.value) : e.value;} return lead;")


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_explainers_questions_and_what_if(browser, live_server, lang):
    """The questions under the reasons; clicking an answer scores the filled-in lead, exactly as /predict does."""
    import httpx
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    base, token = live_server
    browser.get(f"{base}/drivers?token={token}&lang={lang}")
    asked = None
    for example in range(1, len(Select(browser.find_element(By.ID, "example")).options)):
        Select(browser.find_element(By.ID, "example")).select_by_index(example)
        for field in ("need", "purchase_timeline", "budget", "decision_authority"):  # not known yet
            Select(browser.find_element(By.NAME, field)).select_by_value("")
        browser.find_element(By.ID, "score-button").click()
        wait_for(lambda: browser.find_element(By.ID, "result-score").text)
        asked = browser.find_elements(By.CSS_SELECTOR, "#result-questions li.question")
        if asked:
            break
        browser.execute_script("document.getElementById('result-score').textContent = ''")
    assert asked, "no example lead with its four askable fields blanked got a question"
    assert browser.find_element(By.ID, "questions-title").is_displayed()
    field = asked[0].get_attribute("data-field")
    answer = asked[0].find_elements(By.CSS_SELECTOR, "button.answer")[-1]
    expected, value = answer.get_attribute("data-score"), answer.get_attribute("data-value")
    browser.execute_script("document.getElementById('result-score').textContent = ''")
    answer.click()
    shown = wait_for(lambda: browser.find_element(By.ID, "result-score").text)
    lead = browser.execute_script(READ_LEAD)
    assert lead[field] == value  # the form now holds the answer
    direct = httpx.post(f"{base}/predict", headers={"Authorization": f"Bearer {token}"},
                        json={"leads": [lead], "lang": lang}).json()["results"][0]
    assert shown.endswith(str(direct["score"])) and str(direct["score"]) == expected
    band = browser.find_element(By.ID, "result-band").text
    assert band == {"en": direct["band"], "zh": {"hot": "热", "warm": "温", "cold": "冷"}[direct["band"]]}[lang]
    if lang == "zh":
        assert not half_width_in_chinese(browser), half_width_in_chinese(browser)
    assert not console_errors(browser)
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / f"questions-{lang}.png"))


@pytest.mark.slow
def test_page_needs_the_token(live_server):
    import httpx

    base, token = live_server
    assert httpx.get(f"{base}/drivers").status_code == 401
    assert httpx.get(f"{base}/drivers?token=wrong").status_code == 401
    assert httpx.get(f"{base}/drivers", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert httpx.get(f"{base}/static/explainer.js").status_code == 200
    icon = httpx.get(f"{base}/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")


@pytest.fixture(scope="module")
def other_team_model(tmp_path_factory):
    """Another team's export, trained for real: a month column whose effect is not in calendar order,
    a landing-page column of hash-like ids, no lead-source column, a creation date. Returns metadata."""
    import numpy as np
    import pandas as pd

    from features.spec import DatasetSpec
    from training.fit.train import TrainOptions
    from training.registry.publish import train_and_publish
    from training.registry.tracking import load_model

    folder = tmp_path_factory.mktemp("other_team")
    rng = np.random.default_rng(3)
    n = 1500
    month = rng.integers(0, 12, n)
    pages = [f"{rng.integers(16**11, 16**12):x}" for _ in range(8)]
    page = rng.integers(0, len(pages), n)
    effect = np.array([5, 1, 9, 3, 11, 0, 7, 2, 10, 4, 8, 6]) / 11  # impact order far from the calendar's
    p = 1 / (1 + np.exp(-(-1.6 + 2.4 * effect[month] + 0.4 * (page % 3))))
    frame = pd.DataFrame({"lead_id": [f"L{i}" for i in range(n)],
                          "created_at": pd.date_range("2025-01-01", periods=n, freq="5h").strftime("%Y-%m-%d %H:%M"),
                          "signup month": [MONTHS[m] for m in month], "landing page": [pages[i] for i in page],
                          "visits": rng.poisson(3, n), "won": np.where(rng.random(n) < p, "yes", "no")})
    frame.to_csv(folder / "leads.csv", index=False)
    (folder / "names.yaml").write_text("zh:\n  fields: {signup month: 注册月份, landing page: 落地页, "
                                       "visits: 访问次数}\n"
                                       "  values: {January: 一月, February: 二月, March: 三月, April: 四月, May: 五月, "
                                       "June: 六月, July: 七月, August: 八月, September: 九月, October: 十月, "
                                       "November: 十一月, December: 十二月}\n", encoding="utf-8")
    spec = DatasetSpec.model_validate({
        "name": "other_team", "display": str(folder / "names.yaml"),
        "leads": {"path": str(folder / "leads.csv"), "id": "lead_id", "created_at": "created_at"},
        "outcome": {"column": "won", "positive": ["yes"], "negative": ["no"]},
        "evaluation": {"folds": 3, "seed": 0}})
    patch = pytest.MonkeyPatch()
    patch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{folder}/mlflow.db")
    patch.chdir(folder)
    try:
        result = train_and_publish(spec, TrainOptions(tune_trials=1))
        return load_model(result.model_uri).metadata
    finally:
        patch.undo()


def tick_labels_top_down(driver, figure) -> list[str]:
    return driver.execute_script(
        "return [...arguments[0].querySelectorAll('svg text')].filter(t => t.textContent.trim())"
        ".map(t => [t.getBoundingClientRect().top, t.textContent.trim()]).sort((a, b) => a[0] - b[0])"
        ".map(x => x[1]);", figure)


@pytest.mark.slow
def test_another_teams_page(browser, other_team_model, tmp_path):
    from selenium.webdriver.common.by import By

    from training.report.page import render_report

    ARTIFACTS.mkdir(exist_ok=True)
    months_zh = ["一月", "二月", "三月", "四月", "五月", "六月", "七月", "八月", "九月", "十月", "十一月", "十二月"]
    for lang, month_field, months in (("en", "signup month", MONTHS), ("zh", "注册月份", months_zh)):
        path = tmp_path / f"report.{lang}.html"
        path.write_text(render_report(other_team_model, lang), encoding="utf-8")
        browser.get(path.as_uri())
        figures = {f.find_element(By.TAG_NAME, "figcaption").text: f
                   for f in browser.find_elements(By.CSS_SELECTOR, "figure.dependence")}
        assert month_field in figures, list(figures)
        shown = [t for t in tick_labels_top_down(browser, figures[month_field]) if t in months]
        assert shown == [m for m in months if m in shown] and len(shown) >= 10, shown  # calendar order
        # No source column: the page says so and how to set it, instead of leaving the chart out silently.
        assert "evaluation.source_column" in browser.find_element(By.ID, "no-source").text
        window = browser.find_element(By.ID, "data-window").text
        date = r"\d{1,2} [A-Z][a-z]+ \d{4}" if lang == "en" else r"\d{4}年\d{1,2}月\d{1,2}日"
        assert re.fullmatch(rf"{date} (–|至) {date}", window), window
        if lang == "zh":
            assert not half_width_in_chinese(browser), half_width_in_chinese(browser)
        assert not console_errors(browser)
        browser.save_screenshot(str(ARTIFACTS / f"other-team-{lang}.png"))
    # Hash-like ids are shortened and the field is marked as an id (the explainer's form lists them).
    page = render_report(other_team_model, "en", interactive=True)
    options = re.findall(r'<option value="([0-9a-f]{12})">([^<]*)</option>', page)
    assert options and all(text == f"{value[:6]}…" for value, text in options), options[:3]
    assert "landing page (id)" in page
