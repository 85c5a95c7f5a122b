"""Every user-facing sentence in English and Chinese, in one place: the managers' page and the run
report, the reasons for a lead, the monitoring report, the next step per band, the language names.

Chinese strings follow Chinese typography: full-width colon, comma, brackets and the enumeration
comma (、) inside Chinese text; a browser test scans the Chinese page for half-width ones.
Templates use str.format fields; numbers are formatted by the caller.
"""

from __future__ import annotations

from datetime import datetime

PAGE = {
    "en": {
        "title": "Lead scoring: what drives the scores", "summary": "In short",
        "drivers": "What drives scores",
        "drivers_caption": "How much each field moves scores on average (points out of 100). Green, to the right: "
                           "the leads it raises; red, to the left: the leads it lowers. Beside the bars: the values "
                           "that raise or lower the score most.",
        "higher": "higher values", "lower": "lower values",
        "dependence": "How the score moves with the value",
        "dependence_caption": "Average impact in score points for each value (numbers in ten equal-sized groups).",
        "conversion": "Conversion in the training data", "by_band": "Conversion rate by band (leads held out)",
        "by_source": "Conversion rate by lead source",
        "no_source": "No conversion-by-source chart: no lead-source column was found. Set "
                     "evaluation.source_column in the dataset spec (for example source_column: Lead Source) "
                     "and train again.",
        "explainer": "Lead explainer",
        "explainer_caption": "Pick an example lead or fill in the fields, then score it.",
        "example_picker": "Example lead", "choose": "choose an example…", "score_it": "Score this lead",
        "example_name": "a {band} {source} lead (score {score})", "example_name_plain": "a {band} lead (score {score})",
        "card": "Model card", "version": "Version", "model_kind": "Model", "trained_at": "Trained on",
        "window": "Data window", "no_window": "no creation date in the export (set leads.created_at in the spec)",
        "rows": "Leads", "positive_rate": "Conversion rate", "protocol": "Evaluation",
        "details": "Details for data scientists", "metrics": "Metrics on leads held out, against the baselines",
        "model": "Model", "reliability": "Reliability: predicted against observed conversion",
        "excluded": "Never used as features", "after_contact": "Filled in after contact", "pii": "Personal data",
        "strong": "Strong columns kept as features (single-column ROC-AUC; * declared honest by the team)",
        "excluded_other": "Identifiers and other", "limits": "Known limits", "points": "score points",
        "rate": "conversion rate", "predicted": "predicted", "observed": "observed", "score": "Score",
        "action": "Next step", "reasons": "Reasons", "rule_score": "Rule score",
        "rule_line": "Rule score: {points} points (the team's points table)",
        "rule_reason": "{text} adds {points} points",
        "rule_none": "Rule score: 0 points (no rule of the team's points table applies to this lead)",
        "base": "average lead", "final": "this lead",
        "others": "{n} other fields", "others_list": "Other fields, together {points} points: {names}",
        "hot": "hot", "warm": "warm", "cold": "cold", "none": "none", "id": "{field} (id)",
        "colon": ": ", "sep": ", ", "range": " – ",
    },
    "zh": {
        "title": "线索评分：哪些因素决定分数", "summary": "一句话总结",
        "drivers": "影响评分的主要因素",
        "drivers_caption": "每个字段对评分的平均影响（百分制分数）。绿色向右：它提高评分的线索；"
                           "红色向左：它降低评分的线索。条形旁边：最能提高或降低评分的取值。",
        "higher": "数值越高", "lower": "数值越低",
        "dependence": "评分随取值的变化", "dependence_caption": "每个取值对评分的平均影响（数值型字段按十等分分组）。",
        "conversion": "训练数据中的转化情况", "by_band": "各评级的转化率（模型未见过的线索）",
        "by_source": "各线索来源的转化率",
        "no_source": "没有按来源的转化率图：未找到线索来源字段。请在数据集配置中设置 evaluation.source_column"
                     "（例如 source_column: Lead Source），然后重新训练。",
        "explainer": "单条线索解读", "explainer_caption": "选择一条示例线索或填写字段，然后计算评分。",
        "example_picker": "示例线索", "choose": "选择一条示例线索…", "score_it": "计算评分",
        "example_name": "来自{source}的{band}线索（评分 {score}）", "example_name_plain": "{band}线索（评分 {score}）",
        "card": "模型说明", "version": "版本", "model_kind": "模型", "trained_at": "训练日期", "window": "数据时间范围",
        "no_window": "导出数据中没有创建时间（请在配置中设置 leads.created_at）",
        "rows": "线索数", "positive_rate": "转化率", "protocol": "评估方式",
        "details": "技术细节（供数据科学家参考）", "metrics": "在模型未见过的线索上的指标（与基线模型对比）",
        "model": "模型", "reliability": "校准图：预测转化率与实际转化率",
        "excluded": "从不作为特征的字段", "after_contact": "销售联系后才填写", "pii": "个人信息",
        "strong": "保留为特征的强字段（单字段 ROC-AUC；* 为团队确认为联系前已知）",
        "excluded_other": "标识符及其他", "limits": "已知局限", "points": "分", "rate": "转化率",
        "predicted": "预测", "observed": "实际", "score": "评分", "action": "下一步行动", "reasons": "原因",
        "rule_score": "规则评分", "rule_line": "规则评分：{points} 分（团队积分表）",
        "rule_reason": "{text}，加 {points} 分", "rule_none": "规则评分：0 分（团队积分表中没有适用于该线索的规则）",
        "base": "平均线索", "final": "该线索",
        "others": "其他 {n} 个字段", "others_list": "其他字段合计 {points} 分：{names}",
        "hot": "热", "warm": "温", "cold": "冷", "none": "无", "id": "{field}（编号）",
        "colon": "：", "sep": "、", "range": " 至 ",
    },
}

# The summary at the top: what a sales manager needs, from the held-out numbers only.
SUMMARY = {
    "en": {
        "bands": "Of the leads the model calls hot, {hot} in 100 bought; of the cold ones, {cold} in 100.",
        "lift": "Following the model's top 10% finds {lift} times as many buyers as calling at random",
        "lift_other": "; {other} finds {other_lift} times.",
        "beaten": "On this data {other} ranked the leads better than the model did (ranking quality {theirs} "
                  "against {ours}): consider using it instead.",
        "held_out": "Measured on {n} leads the model never saw while it was trained.",
        "no_skill": "The model does not separate buyers from the rest: on leads it never saw, its ranking is "
                    "no better than chance (ranking quality {low} to {high}, where 0.5 is chance) or its "
                    "probabilities are no closer than the average rate's.",
        "no_skill_use": "Until it does, {other} is all there is: use it to order the leads.",
        "no_skill_rate": "Until it does, the base rate is all there is: about {rate} in 100 of these leads buy, "
                         "whatever their score.",
        "tie": "{other} ranked the leads about as well as the model (ranking quality {theirs} against {ours}, "
               "a difference within noise): no reason to switch.",
    },
    "zh": {
        "bands": "模型判为热线索的客户中，每 100 个有 {hot} 个成交；冷线索中，每 100 个有 {cold} 个。",
        "lift": "按模型排序联系前 10% 的线索，找到的成交客户是随机联系的 {lift} 倍",
        "lift_other": "；{other}是 {other_lift} 倍。",
        "beaten": "在这份数据上，{other}对线索的排序比本模型更好（排序能力 {theirs} 对 {ours}），可以考虑改用它。",
        "held_out": "以上数字来自训练时模型从未见过的 {n} 条线索。",
        "no_skill": "本模型无法区分会成交的客户与其他客户：在它从未见过的线索上，它的排序不比随机好"
                    "（排序能力 {low} 至 {high}，0.5 即随机），或它的概率不比平均转化率更准。",
        "no_skill_use": "在此之前，只能依靠{other}为线索排序。",
        "no_skill_rate": "在此之前，只能参考平均转化率：无论评分高低，这些线索每 100 个约有 {rate} 个成交。",
        "tie": "{other}对线索的排序与本模型相当（排序能力 {theirs} 对 {ours}，差异在误差范围内）：没有理由改用。",
    },
}

# Model names as a manager reads them; an unknown kind (a new learner, a blend) reads as its own name.
MODEL_NAMES = {
    "en": {"leadscore": "the model", "lightgbm": "its LightGBM part alone",
           "logistic_regression": "logistic regression", "naive_bayes_odoo": "naive Bayes (as in Odoo)",
           "rules": "the points table", "blend": "a blend of models",
           "base_rate": "the base rate (every lead alike)"},
    "zh": {"leadscore": "本模型", "lightgbm": "仅其 LightGBM 部分", "logistic_regression": "逻辑回归",
           "naive_bayes_odoo": "朴素贝叶斯（Odoo 的做法）", "rules": "积分表", "blend": "多个模型的组合",
           "base_rate": "平均转化率（每条线索相同）"},
}
# The served model's learner on the model card (`final_model.kind`, training/model/classifier.py).
KIND_NAMES = {
    "en": {"blend": "blend of LightGBM and logistic regression", "lightgbm": "LightGBM",
           "logistic": "logistic regression"},
    "zh": {"blend": "LightGBM 与逻辑回归的组合", "lightgbm": "LightGBM", "logistic": "逻辑回归"},
}
METRIC_NAMES = {
    "en": {"roc_auc": "ranking quality (ROC-AUC)", "pr_auc": "precision-recall area (PR-AUC)",
           "brier": "probability error (Brier)", "log_loss": "log loss", "ece": "calibration error (ECE)",
           "capture_top10": "buyers in the top 10%"},
    "zh": {"roc_auc": "排序能力（ROC-AUC）", "pr_auc": "精确率-召回率曲线下面积（PR-AUC）",
           "brier": "概率误差（Brier）", "log_loss": "对数损失", "ece": "校准误差（ECE）",
           "capture_top10": "前 10% 线索中的成交占比"},
}
LIMITS = {
    "en": ["Scores reflect the leads and outcomes of the training window; re-train when channels, products or "
           "prices change.",
           "Columns filled in after sales contact are excluded, so the score is for new leads before contact.",
           "Probabilities are calibrated on held-out rows of the training data; check the reliability diagram "
           "after drift.",
           "Reasons are associations learned from history, not causes: they say why the model scores a lead, "
           "not what will change its outcome."],
    "zh": ["评分反映训练时间范围内的线索与结果；当渠道、产品或价格变化时请重新训练。",
           "销售联系后才填写的字段已被排除，因此评分适用于联系前的新线索。",
           "概率在训练数据的留出样本上校准；数据漂移后请查看校准图。",
           "原因是从历史数据中学到的关联，而非因果：它说明模型为何这样打分，而不是怎样能改变结果。"],
}


# Reasons for one lead: "{feature} {value} raises the score by {points} points" (training/explain/contributions.py).
REASONS = {
    "en": {"up": "{feature} {value} raises the score by {points} points",
           "down": "{feature} {value} lowers the score by {points} points",
           "value": "is {value}", "number": "= {value}"},
    "zh": {"up": "{feature}{value}，评分提高 {points} 分",
           "down": "{feature}{value}，评分降低 {points} 分",
           "value": "为“{value}”", "number": "为 {value}"},
}

# Questions worth asking about a lead (training/explain/questions.py): what each answer would make its score.
QUESTIONS = {
    "en": {"text": "Ask about {label}: {answers}", "answer": "{value} → {score} {band}", "sep": ", ",
           "ask": "What is the lead's {label}?", "title": "Questions worth asking",
           "caption": "Fields not known yet whose answer moves the score: click an answer to score the lead with it."},
    "zh": {"text": "询问{label}：{answers}", "answer": "{value} → {score} 分（{band}）", "sep": "；",
           "ask": "客户的{label}是什么？", "title": "值得询问的问题",
           "caption": "尚未知道、而答案会改变评分的字段：点击一个答案，即按该答案重新评分。"},
}

# Names of the engagement features (features/activities.py) in reasons and on the page: "{type}" is the
# activity type in the glossary's words, "{window}" days. "count" gets the English plural by adding "s".
ENGAGEMENT_NAMES = {
    "en": {"count": "{type}s in the last {window} days", "since": "days since the last {type}",
           "since_any": "days since the last activity", "distinct": "kinds of activity",
           "decayed": "recent engagement (each activity fades with time)", "first_channel": "first touch channel",
           "last_channel": "last touch channel", "other": "other activities"},
    "zh": {"count": "近 {window} 天{type}次数", "since": "距上次{type}天数", "since_any": "距上次活动天数",
           "distinct": "活动种类数", "decayed": "近期互动得分（活动影响随时间衰减）", "first_channel": "首次接触渠道",
           "last_channel": "最近接触渠道", "other": "其他活动"},
}

# Engagement reasons in plain words (training/explain/engagement.py): "{what}" is the phrase the feature's kind,
# activity type, window and the lead's value pick; "{points}" the same points number as every reason.
# English subjects that are plural ("3 pricing page visits ...") take "raise"/"lower".
ENGAGEMENT_REASONS = {
    "en": {"up": "{what} raises the score by {points} points", "down": "{what} lowers the score by {points} points",
           "up_many": "{what} raise the score by {points} points",
           "down_many": "{what} lower the score by {points} points",
           "count_many": "{n} {types} in the last {window} days", "count_one": "1 {type} in the last {window} days",
           "count_none": "no {type} in the last {window} days",
           "since": "last {type} {ago}", "since_gap": "no {type} for {days}", "since_never": "no {type} on record",
           "since_any": "last activity {ago}", "since_any_gap": "no activity for {days}",
           "since_any_never": "no activity on record",
           "distinct_many": "{n} kinds of activity", "distinct_one": "1 kind of activity",
           "distinct_none": "no activity of any kind",
           "decayed": "recent engagement of {value} (an activity's weight halves every {half_life} days)",
           "decayed_low": "recent engagement below {value} (an activity's weight halves every {half_life} days)",
           "decayed_none": "no recent engagement",
           "first_channel": "first touch through {channel}", "last_channel": "last touch through {channel}",
           "channel_none": "no touch on record",
           "days": "{n} days", "day": "1 day", "ago": "{days} ago", "today": "less than a day ago",
           "other_one": "other activity", "other_many": "other activities"},
    "zh": {"up": "{what}，评分提高 {points} 分", "down": "{what}，评分降低 {points} 分",
           "up_many": "{what}，评分提高 {points} 分", "down_many": "{what}，评分降低 {points} 分",
           "count_many": "近 {window} 天{type} {n} 次", "count_one": "近 {window} 天{type} 1 次",
           "count_none": "近 {window} 天没有{type}",
           "since": "上次{type}{ago}", "since_gap": "已 {days}没有{type}", "since_never": "没有{type}的记录",
           "since_any": "上次活动{ago}", "since_any_gap": "已 {days}没有任何活动",
           "since_any_never": "没有任何活动记录",
           "distinct_many": "有过 {n} 种活动", "distinct_one": "有过 1 种活动", "distinct_none": "没有任何活动",
           "decayed": "近期互动得分为 {value}（每项活动的分量每 {half_life} 天减半）",
           "decayed_low": "近期互动得分低于 {value}（每项活动的分量每 {half_life} 天减半）",
           "decayed_none": "近期没有互动",
           "first_channel": "首次接触渠道为“{channel}”", "last_channel": "最近接触渠道为“{channel}”",
           "channel_none": "没有接触记录",
           "days": "{n} 天", "day": "1 天", "ago": "距今 {days}", "today": "距今不到 1 天",
           "other_one": "其他活动", "other_many": "其他活动"},
}

# The managers' page's section on activities (training/report/engagement_page.py): what each activity type does
# to the score by when the lead last did it (the model's points), and conversion by days since the last activity.
ENGAGEMENT_PAGE = {
    "en": {"title": "Activities: what drives conversion, and how fast it fades",
           "effects": "The model's average effect on the score (points) of each kind of activity, by when the lead "
                      "last did it; in brackets, the leads of the sample. The engagement score weighs each activity "
                      "half as much every {half_life} days.",
           "activity": "Activity", "first": "in the last {window} days", "between": "{low}–{high} days ago",
           "last": "{window} days ago or more", "never": "never", "none": "no activity",
           "cell": "{points} ({leads})",
           "fade": "{type}: {recent} points when done in the last {window} days, {older} when longer ago, {never} "
                   "when never done.",
           "conversion": "Conversion rate by days since the lead's last activity (training data; in brackets, "
                         "leads)", "label": "{bin} ({leads})"},
    "zh": {"title": "客户活动：哪些活动推动转化，效果消退得多快",
           "effects": "模型中每类活动对评分的平均影响（分），按线索最近一次进行该活动的时间分组；"
                      "括号内为样本中的线索数。互动得分中，每项活动的分量每 {half_life} 天减半。",
           "activity": "活动", "first": "近 {window} 天内", "between": "{low} 至 {high} 天前",
           "last": "{window} 天前或更早", "never": "从未", "none": "没有活动",
           "cell": "{points}（{leads}）",
           "fade": "{type}：近 {window} 天内进行过，平均 {recent} 分；更早进行过，{older} 分；从未进行，{never} 分。",
           "conversion": "按距上次活动天数分组的转化率（训练数据；括号内为线索数）", "label": "{bin}（{leads}）"},
}

# The monitoring report (training/monitor/report.py) and its section on the managers' page.
MONITOR_TITLES = {
    "en": {"title": "How the scores held up", "calibration": "Realised conversion per band against prediction",
           "auc": "ROC-AUC on matured leads", "drift": "Drift against the training data",
           "speed": "Speed to lead", "sources": "Source quality", "breaches": "Thresholds breached",
           "none": "No threshold breached.", "lost": "Hot leads answered after {h:g} h converted {slow:.1%} against "
           "{fast:.1%} when answered sooner: about {lost:.0f} conversions lost.",
           "failures": "Prediction-log write failures",
           "late": "Hot leads answered after their deadline",
           "late_count": "{late:,} hot leads were first answered after the hot band's {h:g} h deadline.",
           "late_cost": "They converted {late_rate:.1%} against {on_time:.1%} for hot leads answered on time: "
           "about {lost:.0f} expected conversions lost.",
           "late_none": "No hot lead was answered after its {h:g} h deadline.",
           "late_no_deadline": "The hot band's action sets no deadline.",
           "late_columns": ("Lead", "First response (hours)", "Converted"),
           "questions": "Questions asked, answered later",
           "questions_none": "No question worth asking was offered to these leads.",
           "questions_columns": ("Field", "Leads asked", "Answered later", "Matured, answered",
                                 "Converted, answered", "Matured, not answered", "Converted, not answered"),
           "yes": "yes", "no": "no"},
    "zh": {"title": "评分的实际表现", "calibration": "各等级的实际转化率与预测对比", "auc": "已有结果线索的 ROC-AUC",
           "drift": "与训练数据相比的漂移", "speed": "跟进速度", "sources": "线索来源质量", "breaches": "超出阈值",
           "none": "没有超出任何阈值。", "lost": "{h:g} 小时后才跟进的热线索转化率为 {slow:.1%}，更早跟进的为 "
           "{fast:.1%}：约损失 {lost:.0f} 个转化。", "failures": "预测日志写入失败次数",
           "late": "超过跟进时限才联系的热线索",
           "late_count": "{late:,} 个热线索超过热线索 {h:g} 小时的跟进时限才首次联系。",
           "late_cost": "它们的转化率为 {late_rate:.1%}，按时联系的热线索为 {on_time:.1%}："
           "约损失 {lost:.0f} 个预期转化。",
           "late_none": "没有热线索超过 {h:g} 小时的跟进时限才联系。",
           "late_no_deadline": "热线索的跟进动作没有设定时限。",
           "late_columns": ("线索", "首次联系（小时）", "已转化"),
           "questions": "建议提问的问题及其后续回答",
           "questions_none": "这些线索没有收到值得提问的问题。",
           "questions_columns": ("字段", "提问的线索", "后来已回答", "有结果（已回答）", "转化率（已回答）",
                                 "有结果（未回答）", "转化率（未回答）"),
           "yes": "是", "no": "否"},
}

# The next step the service suggests for each band (serving/config.py; a service config may replace them).
ACTIONS = {
    "hot": {"en": "A senior rep calls within 1 hour for one-to-one follow-up",
            "zh": "资深销售在 1 小时内电话联系，一对一跟进"},
    "warm": {"en": "A rep calls within 24 hours", "zh": "销售在 24 小时内电话联系"},
    "cold": {"en": "Add to automated nurture emails", "zh": "加入自动培育邮件序列"},
}

# The next step per band for an opportunity already open (spec `record: opportunity`): steps of a deal.
DEAL_ACTIONS = {
    "hot": {"en": "Agree the next step and a close date with the buyer this week",
            "zh": "本周与买方确认下一步和成交日期"},
    "warm": {"en": "Review the deal with its owner: confirm budget, decision maker and timing",
             "zh": "与负责人复盘该商机：确认预算、决策人和时间表"},
    "cold": {"en": "Ask the buyer whether the deal is still live; requalify it or close it out",
             "zh": "询问买方该商机是否仍在推进；重新评估或关闭"},
}

# What a band means, beside the score it follows from (training/scoring/answer.py band_note).
BAND_NOTES = {
    "en": {"model": "{score} in 100 chance to convert, against {average} for the average {record}; scored higher "
                    "than {percentile}% of {records}. {meaning}",
           "hot": "Hot: the top {hot}% of {records}.",
           "warm": "Warm: the next {warm}% of {records}, or at least the average {record}'s chance.",
           "cold": "Cold: below the average {record}'s chance and outside the top {top}%.",
           "rules": "{score} points from the team's points table (the model did not answer: {why}); hot from "
                    "{hot} points, warm from {warm}.",
           "record": {"lead": "lead", "opportunity": "deal"}, "records": {"lead": "leads", "opportunity": "deals"}},
    "zh": {"model": "成交可能性为 {score}%，平均{record}为 {average}%；评分高于 {percentile}% 的{records}。{meaning}",
           "hot": "热：评分最高的 {hot}% 的{records}。",
           "warm": "温：其后的 {warm}% 的{records}，或不低于平均{record}的可能性。",
           "cold": "冷：低于平均{record}的可能性，且不在前 {top}% 之内。",
           "rules": "团队积分表给出 {score} 分（模型未作答：{why}）；{hot} 分以上为热，{warm} 分以上为温。",
           "record": {"lead": "线索", "opportunity": "商机"}, "records": {"lead": "线索", "opportunity": "商机"}},
}

# How the run's held-out rows were chosen (training/evaluate/splits.py protocol_name).
PROTOCOLS = {
    "en": {"time": "time-ordered: train on the oldest {train:.0%}, evaluate on the newest {held:.0%}",
           "folds": "stratified {folds}-fold cross-validation, out-of-fold predictions",
           "snapshots": "snapshot rows: one per lead every {every:g} days while it is open, labelled by a win within "
                        "{horizon:g} days; split by snapshot date: evaluate on the newest {held:.0%} of snapshot "
                        "dates, train on the older rows of the other leads; a lead's rows stay on one side, in this "
                        "split and in the model's own inner folds"},
    "zh": {"time": "按时间划分：用最早的 {train:.0%} 训练，在最新的 {held:.0%} 上评估",
           "folds": "分层 {folds} 折交叉验证，折外预测",
           "snapshots": "快照行：线索未关闭期间每 {every:g} 天一行，标签为其后 {horizon:g} 天内是否成交；"
                        "按快照日期划分：在最新 {held:.0%} 的快照日期上评估，用其他线索较早的行训练；"
                        "同一线索的行始终在同一侧，这次划分和模型内部的折都是如此"},
}

# Columns naming people (spec features.people) on the managers' page (training/report/people.py).
PEOPLE = {
    "en": {"title": "Owners and reps",
           "data_not_person": "These effects describe the data, not the person: the leads each person was given "
                              "and the period they were given them in, not how good they are at selling.",
           "rule": "A person is shown only where their effect is beyond noise: at least {min_leads} leads, and a "
                   "difference from the typical person (the median) more than twice what chance alone gives with "
                   "that many leads.",
           "effect": "{points} score points against the typical person",
           "leads": "{leads} leads, {conversion} converted",
           "others": "{n} others: within noise", "none_beyond": "No one's effect is beyond noise."},
    "zh": {"title": "负责人与销售",
           "data_not_person": "这些影响描述的是数据，而不是这个人：每个人分到的线索以及分到的时间段，"
                              "而不是他们的销售能力。",
           "rule": "只有影响超出误差范围的人才会列出：至少 {min_leads} 条线索，且与典型人员（中位数）的差异"
                   "超过这么多线索仅凭偶然所能产生差异的两倍。",
           "effect": "与典型人员相比 {points} 分", "leads": "{leads} 条线索，{conversion} 成交",
           "others": "其他 {n} 人：在误差范围内", "none_beyond": "没有人的影响超出误差范围。"},
}

# Each language named in itself, for the page's language switch.
LANGUAGE_NAMES = {"en": "English", "zh": "中文"}

MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
             "November", "December")


def model_name(kind: str, lang: str) -> str:
    """A model's name for people: known kinds translated, others with spaces for underscores."""
    names = MODEL_NAMES["zh" if lang == "zh" else "en"]
    return names.get(kind) or str(kind).replace("_", " ")


def learner_name(kind: str | None, lang: str) -> str | None:
    """The served learner for people ("blend of LightGBM and logistic regression"); None when not recorded."""
    if not kind:
        return None
    return KIND_NAMES["zh" if lang == "zh" else "en"].get(kind) or str(kind).replace("_", " ")


def format_date(text: object, lang: str) -> str:
    """An ISO date or timestamp as a date in the reader's language (`24 November 2026`, `2026年11月24日`);
    anything unreadable as it is."""
    try:
        when = datetime.fromisoformat(str(text))
    except ValueError:
        return str(text)
    if lang == "zh":
        return f"{when.year}年{when.month}月{when.day}日"
    return f"{when.day} {MONTHS_EN[when.month - 1]} {when.year}"  # not %B: that follows the process locale
