"""opsync as an Airflow DAG: one task that calls the library every 15 minutes.

Put this file in the DAGs folder, install opsync in the workers' environment
(``pip install "opsync[notion,slack]"``, add ``postgres`` for the state in PostgreSQL), and
set the Airflow Variables ``opsync_config`` (the path of opsync.toml on the workers) and
``opsync_notion_token`` / ``opsync_slack_bot_token``. docs/deploy.md ("Airflow") tells the
steps: where the state lives when tasks run on several workers, and what each outcome does.

The secrets go to opsync as a mapping, never through the process environment, so other
tasks on the worker do not see them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from airflow.exceptions import AirflowFailException, AirflowSkipException

try:  # Airflow 3
    from airflow.sdk import Variable, dag, task
except ImportError:  # Airflow 2.7+
    from airflow.decorators import dag, task
    from airflow.models import Variable

# opsync's secrets: the environment variable a connector reads (token_env) -> the Airflow
# Variable holding it. Add a line per connector your opsync.toml configures.
SECRETS = {
    "NOTION_TOKEN": "opsync_notion_token",
    "SLACK_BOT_TOKEN": "opsync_slack_bot_token",
}


@dag(
    dag_id="opsync",
    schedule="*/15 * * * *",
    start_date=datetime(2026, 1, 1, tzinfo=UTC),
    catchup=False,  # a sync always works on the present: missed slots are not replayed
    max_active_runs=1,  # never two syncs at once (opsync's run lock would refuse the second)
    dagrun_timeout=timedelta(minutes=30),
    default_args={"retries": 0},  # the next slot retries what is still needed
    tags=["opsync"],
)
def opsync_dag() -> None:
    @task(task_id="sync")
    def sync() -> dict[str, Any]:
        """Run one sync; succeed (0), skip (lock held) or fail with what a person must do."""
        import opsync

        secrets = {env: Variable.get(name) for env, name in SECRETS.items()}
        try:
            config = opsync.load_config(Path(Variable.get("opsync_config")))
            # The wall clock, not the run's logical date: a cleared old task must not sync
            # last week's view of the organisation.
            report = opsync.sync(config, now=datetime.now(UTC), secrets=secrets)
        except opsync.LockHeld as held:  # exit code 4: another run is syncing this org
            raise AirflowSkipException(str(held)) from held
        except opsync.ConfigError as error:  # exit code 2: nothing was written
            raise AirflowFailException(f"opsync config: {error}") from error
        summary = report.to_json()
        code = report.exit_code
        if code == 1:  # some operations failed; the others were applied
            failed = "; ".join(f"{f['target']}: {f['error']}" for f in summary["failed"])
            raise RuntimeError(f"opsync: {len(summary['failed'])} operation(s) failed: {failed}")
        if code == 3:  # a person edited what opsync owns
            conflicts = "; ".join(c["message"] for c in summary["conflicts"])
            raise AirflowFailException(f"opsync: conflicts wait for a person: {conflicts}")
        if code == 5:  # some records could not be read and were left out
            unreadable = "; ".join(f.message for f in report.findings if f.unreadable)
            raise AirflowFailException(f"opsync: unreadable input: {unreadable}")
        # the counts go to XCom, for a dashboard or a downstream task
        return {
            "planned": summary["planned"],
            "writes": summary["writes"],
            "findings": len(summary["findings"]),
            "exit_code": code,
        }

    sync()


opsync_dag()
