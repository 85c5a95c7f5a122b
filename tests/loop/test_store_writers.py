"""Writers that start side by side on a new database (Dask workers logging their partitions) all land."""

import threading

import sqlalchemy as sa

from training.loop.store import open_engine, write_predictions


def test_writers_starting_together_on_a_new_database_all_write(tmp_path):
    """Each writer creates the tables it needs where missing; when several find them missing at once, the
    slower ones see the tables the first made instead of failing with "already exists"."""
    writers, rounds = 6, 8
    for round_ in range(rounds):
        url = f"sqlite:///{tmp_path / f'log-{round_}.db'}"
        start, failures, written = threading.Barrier(writers), [], []

        def write(number: int, url=url, start=start, failures=failures, written=written) -> None:
            rows = [{"request_id": f"part-{number}", "lead_id": f"{number}-{i}", "probability": 0.5}
                    for i in range(3)]
            start.wait()
            try:
                written.append(write_predictions(url, rows))
            except Exception as exc:  # noqa: BLE001 - the assertion below names it
                failures.append(repr(exc))

        threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert failures == [], f"round {round_}: {failures[:2]}"
        engine = open_engine(url)
        try:
            with engine.connect() as connection:
                count = connection.execute(sa.text("select count(*) from predictions")).scalar_one()
        finally:
            engine.dispose()
        assert sorted(written) == [3] * writers and count == 3 * writers
