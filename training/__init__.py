"""Training: the model Pipeline, baselines, tuning, honest evaluation, MLflow tracking and scoring.

`__all__` is the public surface notebooks and the service use; each name is imported from its module
on first use, so importing the package stays light and has no side effects. Each stage is a
subpackage whose own `__init__` says what it does: model, explain, evaluate, fit, registry, rules,
report, scoring, loop, monitor.
"""

from features.exports import lazy_exports

_HOMES = {
    "TrainOptions": "training.fit.options", "TrainResult": "training.fit.train", "evaluate_all": "training.fit.train",
    "fit_model": "training.fit.train",
    "train_and_publish": "training.registry.publish",
    "decide_promotion": "training.registry.gate",
    "ModelMetadata": "training.registry.contract", "read_metadata": "training.registry.contract",
    "LoadedModel": "training.registry.tracking", "load_model": "training.registry.tracking",
    "load_folder": "training.registry.tracking", "download_model": "training.registry.tracking",
    "resolve_version": "training.registry.tracking",
    "explain_frame": "training.explain.contributions", "explain_matrix": "training.explain.contributions",
    "explain_records": "training.explain.contributions", "impact_order": "training.explain.contributions",
    "reasons_for": "training.explain.contributions", "record_values": "training.explain.contributions",
    "assign_bands": "training.evaluate.metrics", "band_thresholds": "training.evaluate.metrics",
    "RuleTable": "training.rules.table", "load_rules": "training.rules.table",
    "score_frame": "training.scoring.score", "score_source": "training.scoring.score",
    "plot_evaluation": "training.report.plots",
    "render_report": "training.report.page", "FAVICON_SVG": "training.report.page",
    "drivers": "training.report.cards",
    "ScoreOptions": "training.scoring.run", "run_score": "training.scoring.run",
    "run_train": "training.fit.run",
    "run_monitor": "training.monitor.run", "monitor_once": "training.monitor.run",
    "run_retrain": "training.loop.retrain",
    "run_rules_suggest": "training.rules.fit",
    "latest_report": "training.monitor.report", "render_sections": "training.monitor.report",
    "MONITOR_TITLES": "training.report.texts",
}
__all__ = sorted(_HOMES)

__getattr__ = lazy_exports(__name__, _HOMES)
