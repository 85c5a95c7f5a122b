"""Airflow DAG for the feedback loop (an example to adapt; not run by the tests).

Every night: import yesterday's outcomes from the CRM, check the scores (monitor exits 1 when a
threshold is breached: the task fails and Airflow alerts), and retrain weekly. `retrain` exits 0
when the new model was promoted, 3 when the champion was kept (not a failure), 2 on bad input.
Set LEADSCORE_PREDICTION_DB, MLFLOW_TRACKING_URI, LEADSCORE_API_TOKEN and CRM_URL in the
worker's environment (Airflow connections or variables); nothing secret belongs in this file.
"""

from datetime import datetime, timedelta

from airflow import DAG
from airflow.operators.bash import BashOperator

PROJECT = "/opt/leadscore"  # the checkout with its .venv
LEADSCORE = f"cd {PROJECT} && .venv/bin/leadscore"

with DAG(
    dag_id="leadscore_feedback_loop",
    schedule="0 2 * * *",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    default_args={"retries": 1, "retry_delay": timedelta(minutes=10)},
    tags=["leadscore"],
) as dag:
    import_outcomes = BashOperator(
        task_id="import_outcomes",
        bash_command=f"{LEADSCORE} outcomes import --sql-url \"$CRM_URL\" "
                     "--sql-query 'select lead_id, outcome, outcome_at, first_response_hours, deal_value "
                     "from lead_outcomes'",
    )
    monitor = BashOperator(
        task_id="monitor",
        bash_command=f"{LEADSCORE} monitor --model leadscore-synthetic --since '{{{{ macros.ds_add(ds, -90) }}}}'",
    )
    retrain = BashOperator(
        task_id="retrain",
        # weekly, and whether or not monitoring raised an alarm; exit 3 (champion kept) is a success
        bash_command=f"[ \"$(date +%u)\" != 7 ] || {{ {LEADSCORE} retrain --spec data/specs/synthetic_later.yaml "
                     "--service http://leadscore:3000; code=$?; [ $code -eq 0 ] || [ $code -eq 3 ]; }",
        trigger_rule="all_done",
    )
    import_outcomes >> monitor >> retrain
