"""The managers' page and the per-run report as one HTML string: no CDN, no external file.

One renderer serves the managers' page (`interactive=True` adds the lead explainer) and the report
logged with every MLflow run. Sales managers read it top down: a plain-language summary from the
held-out numbers, what drives scores, conversion, the explainer, the model card; the technical
metrics sit in a folded section for data scientists. Every sentence comes from training/report/texts.py.
"""

from __future__ import annotations

import html
import json
import threading
import warnings
from urllib.parse import quote

import matplotlib

from features.glossary import glossary_from
from training.registry.contract import ModelMetadata
from training.report import charts
from training.report.display import Names, values_by_field
from training.report.engagement_page import engagement_section
from training.report.people import people_section, screen
from training.report.summary import summary_sentences
from training.report.texts import (
    LANGUAGE_NAMES,
    LIMITS,
    METRIC_NAMES,
    QUESTIONS,
    format_date,
    learner_name,
    model_name,
)

# Applied only while a page is drawn: importing this module changes no global matplotlib state.
# svg.fonttype "none" keeps labels as text, so the browser draws Chinese with its own fonts.
CHART_STYLE = {"svg.fonttype": "none", "font.size": 10, "axes.spines.top": False, "axes.spines.right": False}
# rc_context is process-wide, so pages are drawn one at a time.
_drawing = threading.Lock()
METRIC_COLUMNS = ("roc_auc", "pr_auc", "brier", "log_loss", "ece", "capture_top10")
# The page's icon, inline (no request, so no 404 even from a saved report); the service also answers
# /favicon.ico with it for clients that ask anyway.
FAVICON_SVG = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" '
               'fill="#0969da"/><rect x="7" y="17" width="5" height="9" fill="#fff"/><rect x="14" y="11" width="5" '
               'height="15" fill="#fff"/><rect x="21" y="6" width="5" height="20" fill="#fff"/></svg>')


def render_report(meta: ModelMetadata, lang: str = "en", interactive: bool = False, version: str | None = None,
                  monitoring_html: str = "") -> str:
    """The whole page as one HTML string. `monitoring_html`, when given, is placed right under the
    summary (the place for "how the scores held up" once outcomes are known)."""
    with _drawing, matplotlib.rc_context(CHART_STYLE), warnings.catch_warnings():
        # matplotlib's own font lacks Chinese glyphs; it only measures them, the browser draws them.
        warnings.filterwarnings("ignore", message="Glyph .* missing from font", category=UserWarning)
        return _render(meta, "zh" if lang == "zh" else "en", interactive, version, monitoring_html)


def _e(value) -> str:
    return html.escape(str(value))


def _figure(chart_id: str, caption: str, svg: str, classes: str = "chart") -> str:
    id_attr = f' id="{chart_id}"' if chart_id else ""
    return f'<figure class="{classes}"{id_attr}><figcaption>{_e(caption)}</figcaption>{svg}</figure>'


def _conversion(meta: ModelMetadata, names: Names) -> str:
    t = names.t
    out = _figure("chart-bands", t["by_band"], charts.band_chart(meta.conversion_by_band, names))
    field = meta.source_column
    if field and meta.conversion_by_source:
        open_, close = ("（", "）") if names.lang == "zh" else (" (", ")")
        out += _figure("chart-sources", f"{t['by_source']}{open_}{names.field(field)}{close}",
                       charts.source_chart(meta.conversion_by_source, field, names))
    else:
        out += f'<p id="no-source" class="note">{_e(t["no_source"])}</p>'
    return out


def _metrics_table(meta: ModelMetadata, names: Names) -> str:
    lang, labels = names.lang, METRIC_NAMES[names.lang]
    head = "".join(f"<th>{_e(labels[k])}</th>" for k in METRIC_COLUMNS)
    rows = "".join(f'<tr data-model="{_e(kind)}"><td>{_e(model_name(kind, lang))}</td>'
                   + "".join(f"<td>{m.get(k, float('nan')):.4f}</td>" for k in METRIC_COLUMNS) + "</tr>"
                   for kind, m in meta.metrics.items())
    return f'<table id="metrics"><tr><th>{_e(names.t["model"])}</th>{head}</tr>{rows}</table>'


def _card(meta: ModelMetadata, names: Names, version: str | None) -> str:
    t, lang = names.t, names.lang
    window = meta.data_window
    window = t["range"].join(format_date(d, lang) for d in window) if window else t["no_window"]
    excluded = "".join(
        f"<li>{t[key]}{t['colon']}{_e(t['sep'].join(map(names.field, getattr(meta, field))) or t['none'])}</li>"
        for key, field in (("after_contact", "known_after_contact"), ("pii", "pii"), ("excluded_other", "excluded")))
    strong = t["sep"].join(f"{names.field(w['column'])} ({w['auc']:.3f}{'*' if w['declared_honest'] else ''})"
                           for w in meta.leak_warnings)
    excluded += f"<li>{t['strong']}{t['colon']}{_e(strong or t['none'])}</li>"
    limits = "".join(f"<li>{_e(x)}</li>" for x in LIMITS[lang])
    protocol = (meta.protocol_zh if lang == "zh" else None) or meta.protocol or "-"
    return f"""<section id="model-card"><h2>{t['card']}</h2><dl>
<dt>{t['model_kind']}</dt><dd id="model-kind">{_e(learner_name(meta.served_kind, lang) or model_name(meta.served, lang))}</dd>
<dt>{t['version']}</dt><dd id="model-version">{_e(version or '-')}</dd>
<dt>{t['trained_at']}</dt><dd id="trained-at">{_e(format_date(meta.trained_at or '-', lang))}</dd>
<dt>{t['window']}</dt><dd id="data-window">{_e(window)}</dd>
<dt>{t['rows']}</dt><dd>{meta.rows or 0:,}</dd><dt>{t['positive_rate']}</dt><dd>{meta.positive_rate or 0:.1%}</dd>
</dl><h3>{t['excluded']}</h3><ul>{excluded}</ul><h3>{t['limits']}</h3><ul>{limits}</ul>
<details id="details"><summary>{t['details']}</summary><dl><dt>{t['protocol']}</dt><dd>{_e(protocol)}</dd></dl>
<h3>{t['metrics']}</h3>{_metrics_table(meta, names)}
{_figure('chart-reliability', t['reliability'], charts.reliability_chart(meta.page['reliability'], names))}
</details></section>"""


def _render(meta: ModelMetadata, lang: str, interactive: bool, version: str | None, monitoring_html: str) -> str:
    page = screen(meta.page or {}, meta.people)  # no person named where their effect is within noise
    names = Names(glossary_from(meta.display), lang, values_by_field(page))
    t = names.t
    summary = "".join(f"<p>{_e(s)}</p>" for s in summary_sentences(meta, lang))
    dependence = "".join(_figure("", names.field(name), charts.dependence_chart(name, view, names), "chart dependence")
                         for name, view in page.get("dependence", {}).items())
    explainer = _explainer(page, names, meta.source_column) if interactive else ""
    switch = ('<nav>' + " · ".join(f'<a id="lang-{code}" href="?lang={code}">{name}</a>'
                                  for code, name in LANGUAGE_NAMES.items()) + '</nav>' if interactive else "")
    return f"""<!doctype html>
<html lang="{'zh-CN' if lang == 'zh' else 'en'}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{t['title']}</title>
<link rel="icon" type="image/svg+xml" href="data:image/svg+xml,{quote(FAVICON_SVG)}">
<style>{STYLE}</style></head><body data-lang="{lang}">
<header><h1>{t['title']}</h1>{switch}</header>
<section id="summary"><h2>{t['summary']}</h2>{summary}</section>
{monitoring_html}
<section id="drivers"><h2>{t['drivers']}</h2><p>{t['drivers_caption']}</p>
<figure class="chart" id="chart-drivers">{charts.drivers_chart(page['drivers'], names)}</figure>
<h3>{t['dependence']}</h3><p>{t['dependence_caption']}</p><div class="grid">{dependence}</div></section>
{people_section(meta, names)}
<section id="conversion"><h2>{t['conversion']}</h2><div class="grid">{_conversion(meta, names)}</div></section>
{engagement_section(page.get('engagement'), names)}
{explainer}
{_card(meta, names, version)}
</body></html>"""


def _example_name(tag: dict, names: Names, source_field: str | None) -> str:
    t = names.t
    if tag.get("source") is not None:
        source = names.value(tag["source"], source_field)
        if names.lang == "zh":  # a space between Chinese and a Latin word ("来自 Google 的")
            source = f"{' ' if source[:1].isascii() else ''}{source}{' ' if source[-1:].isascii() else ''}"
        return t["example_name"].format(band=t[tag["band"]], source=source, score=tag["score"])
    return t["example_name_plain"].format(band=t[tag["band"]], score=tag["score"])


def _option(value: object, field: str, names: Names) -> str:
    return f'<option value="{_e(value)}">{_e(names.value(value, field))}</option>'


def _explainer(page: dict, names: Names, source_field: str | None) -> str:
    t = names.t
    # Labels and option texts in the reader's language; names and values stay the CRM's, as the API wants.
    fields = "".join(
        f'<label>{_e(names.field(f["name"]))}<select name="{_e(f["name"])}"><option value="">{_e(names.missing)}'
        "</option>" + "".join(_option(o, f["name"], names)
                              for o in (names.ordered(f["name"], f["options"]) or f["options"])) + "</select></label>"
        if f["kind"] == "categorical" else
        f'<label>{_e(names.field(f["name"]))}<input type="number" step="any" name="{_e(f["name"])}"></label>'
        for f in page.get("form", []))
    examples = page.get("examples", [])
    tags = page.get("example_tags") or []  # models trained before examples were named have none

    def fallback(i: int) -> str:
        return f"{t['example_picker']} {i + 1}"

    options = "".join(
        f'<option value="{i}">{_e(_example_name(tags[i], names, source_field) if i < len(tags) else fallback(i))}'
        "</option>"
        for i in range(len(examples)))
    keys = ("score", "action", "reasons", "rule_score", "rule_line", "rule_reason", "rule_none", "base", "others", "others_list",
            "final", "hot", "warm", "cold", "points", "sep", "colon")
    asked = QUESTIONS[names.lang if names.lang in QUESTIONS else "en"]
    data = {"examples": examples, "labels": {**{k: t[k] for k in keys}, "answer": asked["answer"]}, "lang": names.lang,
            "fields": {f["name"]: names.field(f["name"]) for f in page.get("form", [])}}
    return f"""<section id="explainer"><h2>{t['explainer']}</h2><p>{t['explainer_caption']}</p>
<label id="example-label" for="example">{t['example_picker']}</label>
<select id="example"><option value="">{_e(t['choose'])}</option>{options}</select>
<form id="lead-form">{fields}<button type="submit" id="score-button">{t['score_it']}</button></form>
<div id="result" hidden><p class="score-line"><span id="result-score"></span> <span id="result-band"></span></p>
<p id="result-action"></p><figure class="chart" id="chart-waterfall"></figure><p id="result-others" class="note"></p>
<ul id="result-reasons"></ul>
<h3 id="questions-title" hidden>{asked['title']}</h3><p id="questions-caption" class="note" hidden>{asked['caption']}</p>
<ul id="result-questions"></ul><p id="result-rule"></p><ul id="result-rule-reasons"></ul></div>
<script id="explainer-data" type="application/json">{html.escape(json.dumps(data, ensure_ascii=False), quote=False)}</script>
<script src="/static/explainer.js"></script></section>"""


STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI","Noto Sans CJK SC","WenQuanYi Micro Hei",sans-serif;margin:0 auto;
max-width:1100px;padding:0 1.2rem 3rem;color:#1f2328}
header{display:flex;justify-content:space-between;align-items:baseline;border-bottom:1px solid #d0d7de}
h1{font-size:1.5rem}h2{margin-top:2rem;font-size:1.25rem}p{color:#57606a}
#summary{background:#f6f8fa;border-left:4px solid #0969da;padding:0.2rem 1rem;margin-top:1rem}
#summary p{color:#1f2328;font-size:1.05rem}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:1rem}
figure.chart{margin:0.5rem 0}figure.chart svg{max-width:100%;height:auto}
table{border-collapse:collapse}td,th{border-bottom:1px solid #d0d7de;padding:0.3rem 0.6rem;text-align:right}
td:first-child,th:first-child{text-align:left}dl{display:grid;grid-template-columns:max-content 1fr;gap:0.2rem 1rem}
dt{color:#57606a}dd{margin:0}details{margin-top:1.5rem}summary{cursor:pointer;font-weight:600}
#example-label{margin-right:0.5rem;font-weight:600}
#lead-form{display:grid;grid-template-columns:repeat(auto-fit,minmax(240px,1fr));
gap:0.5rem 1rem;margin:1rem 0}#lead-form label{display:flex;flex-direction:column;font-size:0.85rem}
#lead-form button{grid-column:1/-1;justify-self:start;padding:0.5rem 1.2rem;font-size:1rem}
.score-line{font-size:1.6rem;color:#1f2328}#result-band{font-weight:600}
#result-questions li{margin:0.3rem 0}.question-text{margin-right:0.6rem}
button.answer{margin:0.1rem 0.3rem;padding:0.2rem 0.6rem;cursor:pointer}
"""
