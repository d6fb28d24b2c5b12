"""The DAG files load cleanly, carry tags, docs and retries, and do nothing heavy at parse time."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from airflow.dag_processing.dagbag import DagBag

DAGS = Path(__file__).resolve().parents[2] / "dags"


def test_dagbag_has_no_import_errors() -> None:
    bag = DagBag(dag_folder=str(DAGS))
    assert bag.import_errors == {}
    assert set(bag.dag_ids) >= {"poll_publishers", "dispatch_alerts"}
    for dag in bag.dags.values():
        assert "regwatch" in dag.tags and dag.doc_md
        assert all(task.retries >= 2 for task in dag.tasks), dag.dag_id


def test_dispatch_is_scheduled_on_the_asset_poll_updates() -> None:
    bag = DagBag(dag_folder=str(DAGS))
    poll, dispatch = bag.dags["poll_publishers"], bag.dags["dispatch_alerts"]
    # Poll tasks emit on the notices Asset through an alias: only when they add an event.
    assert {o.name for t in poll.tasks for o in t.outlets} == {"regwatch_notices"}
    assert poll.max_active_runs == 1 and not poll.catchup
    assert "regwatch_notices" in str(dispatch.timetable.asset_condition)


def test_dag_files_import_nothing_heavy() -> None:
    # Parsing must not pull in Elasticsearch, the parsers or our pipeline (Airflow itself brings httpx);
    # of connectors, only the standard-library connectors.hosts (what one host is).
    code = ("import sys, runpy; sys.path.insert(0, 'dags');"
            "[runpy.run_path(f'dags/{n}.py') for n in ('poll_publishers', 'dispatch_alerts')];"
            "heavy = [m for m in ('elasticsearch', 'feedparser', 'lxml', 'langdetect', 'transforms') if m in sys.modules];"
            "heavy += [m for m in sys.modules if m.startswith('connectors.') and m != 'connectors.hosts'];"
            "print(','.join(heavy))")
    done = subprocess.run([sys.executable, "-c", code], cwd=DAGS.parent, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-1500:]
    assert done.stdout.strip() == ""


def test_each_dag_file_parses_quickly() -> None:
    # Airflow's own import is paid once per parser process; what each file adds must stay small.
    code = ("import time, runpy, sys; sys.path.insert(0, 'dags'); import airflow.sdk, regwatch.dagkit;"
            "import pathlib; out = {};\n"
            "for f in sorted(pathlib.Path('dags').glob('*.py')):\n"
            "    t = time.perf_counter(); runpy.run_path(str(f)); out[f.name] = time.perf_counter() - t\n"
            "print(out)")
    done = subprocess.run([sys.executable, "-c", code], cwd=DAGS.parent, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-1500:]
    timings = eval(done.stdout.strip().splitlines()[-1])  # a dict literal we printed ourselves
    assert len(timings) == 5 and max(timings.values()) < 0.5, timings


def test_schedules() -> None:
    bag = DagBag(dag_folder=str(DAGS))
    assert str(bag.dags["send_digests"].timezone) == "Asia/Shanghai"
    assert str(bag.dags["deadline_reminders"].timezone) == "Asia/Shanghai"
    for dag in bag.dags.values():
        assert dag.max_active_runs == 1 and not dag.catchup


def test_poll_tasks_follow_the_hosts_of_enabled_publishers(tmp_path, monkeypatch) -> None:
    from regwatch.dagkit import catalogue_hosts

    catalog = tmp_path / "catalog.yaml"
    monkeypatch.setenv("REGWATCH_CATALOG", str(catalog))
    catalog.write_text("""
- {id: a, kind: rss, url: "https://www.MIIT.gov.cn/a.xml"}
- {id: b, kind: rss, url: "https://www.miit.gov.cn:443/b.xml"}
- {id: c, kind: rss, url: "https://off.example.org/c.xml", enabled: false}
- {id: d, kind: rss, url: "http://127.0.0.2:8797/d.xml"}
""", encoding="utf-8")
    assert catalogue_hosts() == ["127_0_0_2", "www_miit_gov_cn"]
    tasks = {t.task_id for t in DagBag(dag_folder=str(DAGS)).dags["poll_publishers"].tasks}
    assert tasks == {"poll_www_miit_gov_cn", "poll_127_0_0_2", "announce_stranded"}
    catalog.write_text("- {id: [unclosed", encoding="utf-8")
    assert catalogue_hosts() == []  # the run's announce_stranded then fails with the catalogue's error


def test_task_count_grows_with_hosts_not_publishers(tmp_path, monkeypatch) -> None:
    def poll_dag(entries: list[str]):
        catalog = tmp_path / "catalog.yaml"
        catalog.write_text("\n".join(entries), encoding="utf-8")
        monkeypatch.setenv("REGWATCH_CATALOG", str(catalog))
        return DagBag(dag_folder=str(DAGS)).dags["poll_publishers"]

    feeds = [f'- {{id: p{h}-{i}, kind: rss, url: "https://h{h}.example.org/{i}.xml"}}'
             for h in range(3) for i in range(40)]
    many = poll_dag(feeds)
    assert len(many.tasks) == 3 + 1  # 120 publishers on 3 hosts: a task per host, and announce_stranded
    assert not any(t.is_mapped for t in many.tasks if hasattr(t, "is_mapped"))
    assert len(poll_dag(feeds[:1] + feeds[40:41] + feeds[80:81] + feeds[100:101]).tasks) == 3 + 1
    assert len(poll_dag(feeds[:40]).tasks) == 1 + 1
