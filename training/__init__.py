"""Training: the model Pipeline, baselines, tuning, honest evaluation, MLflow tracking and scoring.

`__all__` is the public surface notebooks and the service use; each name is imported from its module
on first use, so importing the package stays light and has no side effects. (`train` and `publish`
are also module names here, so they are reached as training.train.train and training.publish.publish;
`train_and_publish` is the one call of `leadscore train`.)
"""

from features.exports import lazy_exports

_HOMES = {
    "TrainOptions": "training.train", "TrainResult": "training.train", "evaluate_all": "training.train",
    "fit_model": "training.train", "train_and_publish": "training.publish", "decide_promotion": "training.gate",
    "ModelMetadata": "training.metadata", "read_metadata": "training.metadata",
    "LoadedModel": "training.tracking", "load_model": "training.tracking", "load_folder": "training.tracking",
    "download_model": "training.tracking", "resolve_version": "training.tracking",
    "explain_frame": "training.explain", "explain_matrix": "training.explain", "explain_records": "training.explain",
    "impact_order": "training.explain", "reasons_for": "training.explain", "record_values": "training.explain",
    "assign_bands": "training.metrics", "band_thresholds": "training.metrics",
    "RuleTable": "training.rules", "load_rules": "training.rules",
    "score_frame": "training.score", "score_source": "training.score",
    "plot_evaluation": "training.plots", "render_report": "training.report", "FAVICON_SVG": "training.report",
    "drivers": "training.cards",
    "ScoreOptions": "training.score_run", "score_leads": "training.score_run", "train_from_spec": "training.train_run",
    "build_from_spec": "training.build_run", "monitor_and_report": "training.monitor_run",
    "retrain_from_spec": "training.retrain", "suggest_from_spec": "training.rules_fit",
    "run_monitoring": "training.monitor_run", "latest_report": "training.monitor_report",
    "render_sections": "training.monitor_report", "MONITOR_TITLES": "training.texts",
}
__all__ = sorted(_HOMES)

__getattr__ = lazy_exports(__name__, _HOMES)
