"""`leadscore train` as one call: read the spec, train and publish on this machine or on a Dask cluster,
write the run summary when asked, and say what was measured and decided. The CLI only turns its
options into arguments and prints the lines."""

from __future__ import annotations

from pathlib import Path

from features.messages import Line, Rows, Say, say_nothing, warn_all
from training.fit.run_summary import baseline_winner, write_summary
from training.fit.train import TrainOptions, TrainResult

METRIC_COLUMNS = [("roc_auc", "ROC-AUC"), ("pr_auc", "PR-AUC"), ("brier", "Brier"), ("log_loss", "log loss"),
                  ("ece", "ECE"), ("lift_top10", "lift@10%"), ("capture_top10", "capt@10%"),
                  ("lift_top20", "lift@20%"), ("capture_top20", "capt@20%")]


def run_train(spec: Path, options: TrainOptions, engine: str = "pandas", scheduler: str | None = None,
                    summary_json: Path | None = None, say: Say = say_nothing, console=None) -> TrainResult:
    """Train, evaluate and publish the model of `spec`. `console`: a rich Console to show progress bars
    on (the pandas engine's steps); None shows none."""
    from features.spec import load_spec

    dataset = load_spec(spec)
    if dataset.rules is None:
        warn_all(say, ["no rule table in the spec ('rules'): no points-table baseline; the service's rule_score "
                       "comes from points learned from these outcomes"])
    result = _train(dataset, options, engine, scheduler, console)
    winner = baseline_winner(result.metrics)
    for line in metrics_lines(result.metrics, winner):
        say(line)
    if summary_json:
        write_summary(summary_json, result)
    for line in run_lines(result, winner):
        say(line)
    return result


def _train(dataset, options: TrainOptions, engine: str, scheduler: str | None, console) -> TrainResult:
    from training.registry.publish import train_and_publish

    if engine == "dask":
        from training.fit.dask import train_on_dask

        return train_on_dask(dataset, options, scheduler)
    if console is None:
        return train_and_publish(dataset, options)
    from rich.progress import Progress

    from training.fit.progress import StepReporter, columns

    with Progress(*columns(), console=console, transient=True) as progress:
        options.reporter = StepReporter(progress)
        return train_and_publish(dataset, options, progress)


def metrics_lines(metrics: dict, winner: str | None = None) -> list[Line]:
    """The held-out metrics table, a warning when a baseline beats the served model, the band rates."""
    headings = tuple(heading for _, heading in METRIC_COLUMNS)
    table = Rows(f"held-out metrics ({metrics['protocol']}, {metrics['rows_evaluated']:,} leads)",
                 ("model", *headings), headings)
    served, kind = metrics["served"], metrics["final_model"]["kind"]
    for name, values in metrics["models"].items():
        mark = "  (beats the served model)" if name == winner else ""
        table.add((f"{name} (served: {kind})" if name == served else name) + mark,
                      *(f"{values[key]:.3f}" for key, _ in METRIC_COLUMNS))
    lines = [Line(table)]
    if winner:
        models = metrics["models"]
        lines.append(Line(f"{winner} beats the served model on these held-out rows: ROC-AUC "
                          f"{models[winner]['roc_auc']:.4f} vs {models[served]['roc_auc']:.4f}; "
                          "the simpler model may be the better choice here", warning=True))
    bands = metrics["models"][served]["bands"]
    lines.append(Line(f"{served} conversion by band: " + ", ".join(
        f"{band} {b['conversion_rate']:.1%} of {b['leads']:,}" for band, b in bands.items())))
    return lines


def run_lines(result: TrainResult, winner: str | None = None) -> list[Line]:
    """Where the run and the model went, the gate's decision, and the one-line summary."""
    lines = [Line(f"MLflow tracking URI: {result.tracking_uri}  run id: {result.run_id}"),
             Line(f"model: {result.model_uri}")]
    if result.version:
        lines.append(Line(f"registered version {result.version}"))
    if result.gate_message:
        colour = "green" if result.promoted else "yellow"
        lines.append(Line(f"[{colour}]{'promoted to champion' if result.promoted else 'not promoted'}[/]: "
                          f"{result.gate_message}"))
    served = result.metrics["served"]
    ours = result.metrics["models"][served]
    lines.append(Line(f"summary: {served} ROC-AUC {ours['roc_auc']:.4f}, Brier {ours['brier']:.4f}" + (
        f"; {winner} beats it (ROC-AUC {result.metrics['models'][winner]['roc_auc']:.4f})" if winner else
        f"; {served} is the best model on the held-out rows"), highlight=False))
    return lines
