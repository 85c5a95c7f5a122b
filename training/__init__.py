"""Training: the model Pipeline, baselines, tuning, honest evaluation, MLflow tracking and scoring."""
