"""The model card and drivers as HTML: charts as inline SVG drawn by matplotlib (text kept as text,
so the browser renders Chinese), no CDN, no external file. One renderer serves the managers' page
(`interactive=True` adds the lead explainer) and the report logged with every MLflow run."""

from __future__ import annotations

import html
import io
import threading
import warnings

import matplotlib
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from features.glossary import Glossary, glossary_from
from training.cards import NOT_GIVEN

# Applied only while a page is drawn: importing this module changes no global matplotlib state.
# svg.fonttype "none" keeps labels as text, so the browser draws Chinese with its own fonts.
CHART_STYLE = {"svg.fonttype": "none", "font.size": 10, "axes.spines.top": False, "axes.spines.right": False}
# Figures are made without pyplot (no global figure registry, safe in the service's threads), but
# rc_context is process-wide, so pages are drawn one at a time.
_drawing = threading.Lock()
UP, DOWN, MIXED = "#1a7f37", "#cf222e", "#8c959f"

TEXT = {
    "en": {
        "title": "Lead scoring: what drives the scores", "drivers": "What drives scores",
        "drivers_caption": "Average impact on the score (points out of 100). Green: higher values raise the score; "
                           "red: higher values lower it; grey: depends on the value.",
        "dependence": "How the score moves with the value", "dependence_caption": "Average impact in score points "
                      "for each value (numbers in ten equal-sized groups).",
        "conversion": "Conversion in the training data", "by_band": "Conversion rate by band (held-out leads)",
        "by_source": "Conversion rate by lead source", "explainer": "Lead explainer",
        "explainer_caption": "Pick an example lead or fill in the fields, then score it.",
        "example": "Example lead", "score_it": "Score this lead", "card": "Model card", "version": "Version",
        "trained_at": "Trained at", "window": "Data window", "rows": "Leads", "positive_rate": "Conversion rate",
        "protocol": "Evaluation", "metrics": "Held-out metrics against the baselines", "model": "Model",
        "reliability": "Reliability: predicted against observed conversion", "excluded": "Never used as features",
        "after_contact": "Filled in after contact", "pii": "Personal data",
        "strong": "Strong columns kept as features (single-column ROC-AUC; * declared honest by the team)", "excluded_other": "Identifiers and other",
        "limits": "Known limits", "points": "score points", "rate": "conversion rate", "predicted": "predicted",
        "observed": "observed", "band": "band", "score": "Score", "action": "Next step", "reasons": "Reasons",
        "rule_score": "Rule score", "base": "average lead", "others": "other fields", "final": "this lead",
        "hot": "hot", "warm": "warm", "cold": "cold", "none": "none", "missing": "not given",
    },
    "zh": {
        "title": "线索评分：哪些因素决定分数", "drivers": "影响评分的主要因素",
        "drivers_caption": "对评分的平均影响（百分制分数）。绿色：数值越高评分越高；红色：数值越高评分越低；灰色：取决于具体取值。",
        "dependence": "评分随取值的变化", "dependence_caption": "每个取值对评分的平均影响（数值型字段按十等分分组）。",
        "conversion": "训练数据中的转化情况", "by_band": "各评级的转化率（留出样本）", "by_source": "各线索来源的转化率",
        "explainer": "单条线索解读", "explainer_caption": "选择一条示例线索或填写字段，然后计算评分。",
        "example": "示例线索", "score_it": "计算评分", "card": "模型说明", "version": "版本", "trained_at": "训练时间",
        "window": "数据时间范围", "rows": "线索数", "positive_rate": "转化率", "protocol": "评估方式",
        "metrics": "留出样本上的指标（与基线模型对比）", "model": "模型", "reliability": "校准图：预测转化率与实际转化率",
        "excluded": "从不作为特征的字段", "after_contact": "销售联系后才填写", "pii": "个人信息",
        "strong": "保留为特征的强字段（单字段 ROC-AUC；* 为团队确认为联系前已知）",
        "excluded_other": "标识符及其他", "limits": "已知局限", "points": "分", "rate": "转化率",
        "predicted": "预测", "observed": "实际", "band": "评级", "score": "评分", "action": "下一步行动",
        "reasons": "原因", "rule_score": "规则评分", "base": "平均线索", "others": "其他字段", "final": "该线索",
        "hot": "热", "warm": "温", "cold": "冷", "none": "无", "missing": "未填写",
    },
}
LIMITS_ZH = [
    "评分反映训练时间范围内的线索与结果；当渠道、产品或价格变化时请重新训练。",
    "销售联系后才填写的字段已被排除，因此评分适用于联系前的新线索。",
    "概率在训练数据的留出样本上校准；数据漂移后请查看校准图。",
    "原因是从历史数据中学到的关联，而非因果：它说明模型为何这样打分，而不是怎样能改变结果。",
]


class Names:
    """The glossary in one language: field and value names as the reader should see them."""

    def __init__(self, glossary: Glossary, lang: str):
        self.glossary, self.lang = glossary, lang

    def field(self, name: str) -> str:
        return self.glossary.field(name, self.lang)

    def value(self, value: object) -> str:
        return self.glossary.value(value, self.lang)


def _axes(width: float, height: float):
    fig = Figure(figsize=(width, height))
    return fig, fig.subplots()


def _svg(fig: Figure) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight")
    text = buffer.getvalue()
    return text[text.index("<svg"):]


def _hbar(labels: list[str], values: list[float], colors, xlabel: str, percent: bool = False) -> str:
    fig, ax = _axes(6.4, 0.32 * len(labels) + 0.9)
    ax.barh(range(len(labels)), values, color=colors)
    ax.set_yticks(range(len(labels)), [label[:42] for label in labels])
    ax.invert_yaxis()
    ax.set_xlabel(xlabel)
    if percent:
        ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    return _svg(fig)


def drivers_chart(drivers: list[dict], t: dict, names: Names) -> str:
    colors = [UP if d["direction"] > 0 else DOWN if d["direction"] < 0 else MIXED for d in drivers]
    return _hbar([names.field(d["feature"]) for d in drivers], [d["mean_abs_points"] for d in drivers], colors,
                 t["points"])


def dependence_chart(feature: str, view: dict, t: dict, names: Names) -> str:
    label = names.field(feature)
    if view["kind"] == "numeric":
        fig, ax = _axes(4.6, 2.8)
        ax.plot(view["x"], view["points"], marker="o", color="#0969da")
        ax.axhline(0, color=MIXED, linewidth=0.8)
        ax.set_xlabel(label[:48])
        ax.set_ylabel(t["points"])
        return _svg(fig)
    colors = [UP if p > 0 else DOWN for p in view["points"]]
    values = [t["missing"] if x == NOT_GIVEN else names.value(x) for x in view["x"]]
    return _hbar(values, view["points"], colors, f"{label[:40]}: {t['points']}")


def band_chart(bands: dict, t: dict) -> str:
    names = [b for b in ("hot", "warm", "cold") if b in bands]
    fig, ax = _axes(4.6, 2.8)
    ax.bar([t[b] for b in names], [bands[b]["conversion_rate"] for b in names], color=[DOWN, "#bf8700", "#0969da"])
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_ylabel(t["rate"])
    return _svg(fig)


def source_chart(sources: dict, t: dict, names: Names) -> str:
    items = sorted(sources.items(), key=lambda kv: -kv[1]["conversion_rate"])[:12]
    return _hbar([f"{names.value(k)} ({v['leads']:,})" for k, v in items], [v["conversion_rate"] for _, v in items], "#0969da",
                 t["rate"], percent=True)


def reliability_chart(curve: dict, t: dict) -> str:
    fig, ax = _axes(4.2, 3.6)
    ax.plot([0, 1], [0, 1], color=MIXED, linestyle=":")
    ax.plot(curve["predicted"], curve["observed"], marker="o", color="#0969da")
    ax.set_xlabel(t["predicted"])
    ax.set_ylabel(t["observed"])
    return _svg(fig)


def _e(value) -> str:
    return html.escape(str(value))


def render_report(meta: dict, lang: str = "en", interactive: bool = False, version: str | None = None) -> str:
    """The whole page as one HTML string."""
    with _drawing, matplotlib.rc_context(CHART_STYLE), warnings.catch_warnings():
        # matplotlib's own font lacks Chinese glyphs; it only measures them, the browser draws them.
        warnings.filterwarnings("ignore", message="Glyph .* missing from font", category=UserWarning)
        return _render(meta, lang, interactive, version)


def _render(meta: dict, lang: str, interactive: bool, version: str | None) -> str:
    lang = lang if lang in TEXT else "en"
    t, page, names = TEXT[lang], meta.get("page", {}), Names(glossary_from(meta.get("display")), lang)
    charts = [f'<figure class="chart" id="chart-drivers">{drivers_chart(page["drivers"], t, names)}</figure>']
    dependence = "".join(f'<figure class="chart dependence"><figcaption>{_e(names.field(name))}</figcaption>'
                         f"{dependence_chart(name, view, t, names)}</figure>"
                         for name, view in page.get("dependence", {}).items())
    conversion = f'<figure class="chart" id="chart-bands"><figcaption>{t["by_band"]}</figcaption>' \
                 f'{band_chart(meta["conversion_by_band"], t)}</figure>'
    if meta.get("conversion_by_source"):
        source = names.field(meta.get("source_column") or "")
        conversion += (f'<figure class="chart" id="chart-sources"><figcaption>{t["by_source"]} ({_e(source)})'
                       f'</figcaption>{source_chart(meta["conversion_by_source"], t, names)}</figure>')
    rows = "".join(f"<tr><td>{_e(name)}</td>" + "".join(f"<td>{m.get(k, float('nan')):.4f}</td>"
                   for k in ("roc_auc", "pr_auc", "brier", "log_loss", "ece", "capture_top10")) + "</tr>"
                   for name, m in meta["metrics"].items())
    limits = LIMITS_ZH if lang == "zh" else page.get("known_limits", [])
    excluded = "".join(f"<li>{t[key]}: {_e(', '.join(map(names.field, meta.get(field) or [])) or t['none'])}</li>"
                       for key, field in (("after_contact", "known_after_contact"), ("pii", "pii"),
                                          ("excluded_other", "excluded")))
    strong = ", ".join(f"{names.field(w['column'])} ({w['auc']:.3f}{'*' if w['declared_honest'] else ''})"
                       for w in meta.get("leak_warnings") or [])
    excluded += f"<li>{t['strong']}: {_e(strong or t['none'])}</li>"
    explainer = _explainer(page, t, lang, names) if interactive else ""
    switch = ('<nav><a id="lang-en" href="?lang=en">English</a> · <a id="lang-zh" href="?lang=zh">中文</a></nav>'
              if interactive else "")
    return f"""<!doctype html>
<html lang="{'zh-CN' if lang == 'zh' else 'en'}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{t['title']}</title>
<style>{STYLE}</style></head><body data-lang="{lang}">
<header><h1>{t['title']}</h1>{switch}</header>
<section id="drivers"><h2>{t['drivers']}</h2><p>{t['drivers_caption']}</p>{''.join(charts)}
<h3>{t['dependence']}</h3><p>{t['dependence_caption']}</p><div class="grid">{dependence}</div></section>
<section id="conversion"><h2>{t['conversion']}</h2><div class="grid">{conversion}</div></section>
{explainer}
<section id="model-card"><h2>{t['card']}</h2><dl>
<dt>{t['version']}</dt><dd id="model-version">{_e(version or '-')}</dd>
<dt>{t['trained_at']}</dt><dd>{_e(meta.get('trained_at'))}</dd>
<dt>{t['window']}</dt><dd>{_e(' – '.join(meta.get('data_window') or ['-']))}</dd>
<dt>{t['rows']}</dt><dd>{meta.get('rows', 0):,}</dd><dt>{t['positive_rate']}</dt><dd>{meta.get('positive_rate', 0):.1%}</dd>
<dt>{t['protocol']}</dt><dd>{_e(meta.get('protocol_zh' if lang == 'zh' else 'protocol') or meta.get('protocol'))}</dd></dl>
<h3>{t['metrics']}</h3><table id="metrics"><tr><th>{t['model']}</th><th>ROC-AUC</th><th>PR-AUC</th><th>Brier</th>
<th>log loss</th><th>ECE</th><th>capture@10%</th></tr>{rows}</table>
<figure class="chart" id="chart-reliability"><figcaption>{t['reliability']}</figcaption>
{reliability_chart(page['reliability'], t)}</figure>
<h3>{t['excluded']}</h3><ul>{excluded}</ul><h3>{t['limits']}</h3><ul>{''.join(f'<li>{_e(x)}</li>' for x in limits)}</ul>
</section></body></html>"""


def _explainer(page: dict, t: dict, lang: str, names: Names) -> str:
    import json

    # Labels and option texts in the reader's language; names and values stay the CRM's, as the API wants.
    fields = "".join(
        f'<label>{_e(names.field(f["name"]))}<select name="{_e(f["name"])}"><option value=""></option>'
        + "".join(f'<option value="{_e(o)}">{_e(names.value(o))}</option>' for o in f["options"])
        + "</select></label>"
        if f["kind"] == "categorical" else
        f'<label>{_e(names.field(f["name"]))}<input type="number" step="any" name="{_e(f["name"])}"></label>'
        for f in page.get("form", []))
    examples = "".join(f'<option value="{i}">{t["example"]} {i + 1}</option>'
                       for i in range(len(page.get("examples", []))))
    labels = {k: t[k] for k in ("score", "band", "action", "reasons", "rule_score", "base", "others", "final",
                                "hot", "warm", "cold", "points")}
    return f"""<section id="explainer"><h2>{t['explainer']}</h2><p>{t['explainer_caption']}</p>
<select id="example"><option value=""></option>{examples}</select>
<form id="lead-form">{fields}<button type="submit" id="score-button">{t['score_it']}</button></form>
<div id="result" hidden><p class="score-line"><span id="result-score"></span> <span id="result-band"></span></p>
<p id="result-action"></p><figure class="chart" id="chart-waterfall"></figure><ul id="result-reasons"></ul>
<p id="result-rule"></p></div>
<script id="explainer-data" type="application/json">{html.escape(json.dumps(
    {"examples": page.get("examples", []), "labels": labels, "lang": lang}, ensure_ascii=False), quote=False)}</script>
<script src="/static/explainer.js"></script></section>"""


STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI","Noto Sans CJK SC","WenQuanYi Micro Hei",sans-serif;margin:0 auto;
max-width:1100px;padding:0 1.2rem 3rem;color:#1f2328}
header{display:flex;justify-content:space-between;align-items:baseline;border-bottom:1px solid #d0d7de}
h1{font-size:1.5rem}h2{margin-top:2rem;font-size:1.25rem}p{color:#57606a}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:1rem}
figure.chart{margin:0.5rem 0}figure.chart svg{max-width:100%;height:auto}
table{border-collapse:collapse}td,th{border-bottom:1px solid #d0d7de;padding:0.3rem 0.6rem;text-align:right}
td:first-child,th:first-child{text-align:left}dl{display:grid;grid-template-columns:max-content 1fr;gap:0.2rem 1rem}
dt{color:#57606a}dd{margin:0}#lead-form{display:grid;grid-template-columns:repeat(auto-fit,minmax(240px,1fr));
gap:0.5rem 1rem;margin:1rem 0}#lead-form label{display:flex;flex-direction:column;font-size:0.85rem}
#lead-form button{grid-column:1/-1;justify-self:start;padding:0.5rem 1.2rem;font-size:1rem}
.score-line{font-size:1.6rem;color:#1f2328}#result-band{font-weight:600}
"""
