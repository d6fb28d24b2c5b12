"""Issue 16's targets as ratios with pass/fail, politeness errors and the scale summary, from tables of inputs."""
from __future__ import annotations

from typing import Any

import pytest

from bench import report
from bench.polling import politeness_errors
from bench.scale import Size, parse_sizes, summarise


def _wall(median: float) -> dict[str, Any]:
    return {"wall": {"median": median}}


def _polling(rw1: float, rw2: float, naive1: float) -> dict[str, Any]:
    return {"regwatch_first": _wall(rw1), "regwatch_second": _wall(rw2), "naive_first": _wall(naive1)}


def _cdio(first: float, second: float) -> dict[str, Any]:
    return {"status": "measured", "first": _wall(first), "second": _wall(second)}


@pytest.mark.parametrize(("walls", "cdio", "values", "met"), [
    # regwatch 2 s then 0.3 s; naive 40 s; changedetection.io 15 s then 14 s: every target met
    ((2, 0.3, 40), _cdio(15, 14), [20, 7.5, 0.15, 46.67], [True, True, True, True]),
    # issue 16's starting point: regwatch 17.3 s then 11.1 s, naive 64 s, changedetection.io 15.0 then 13.8 s
    ((17.3, 11.1, 64), _cdio(15.0, 13.8), [3.7, 0.87, 0.642, 1.24], [False, False, False, False]),
    # exactly on every bound: a bound met is a pass
    ((1, 0.2, 10), _cdio(2, 0.6), [10, 2, 0.2, 3], [True, True, True, True]),
    # changedetection.io not measured: its two targets are not measured, the others still judged
    ((2, 0.5, 30), {"status": "not measured", "reason": "offline"}, [15, None, 0.25, None], [True, None, False, None]),
])
def test_polling_targets(walls: tuple[float, float, float], cdio: dict[str, Any], values: list[float | None],
                         met: list[bool | None]) -> None:
    rows = report.polling_targets(_polling(*walls), cdio)
    assert [r["target"] for r in rows] == [t.name for t in report.POLLING_TARGETS]
    assert [r["value"] for r in rows] == values
    assert [r["met"] for r in rows] == met
    assert [r["bound"] for r in rows] == ["≥ 10", "≥ 2", "≤ 0.2", "≥ 3"]


@pytest.mark.parametrize(("op", "bound", "value", "met"), [
    ("≥", 10, 9.99, False), ("≥", 10, 10, True), ("≤", 0.2, 0.21, False), ("≤", 0.2, 0.2, True),
    ("≤", 60, None, None),
])
def test_target_met(op: str, bound: float, value: float | None, met: bool | None) -> None:
    assert report.Target("t", op, bound).met(value) is met


def test_an_unknown_comparison_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown comparison"):
        report.Target("t", ">", 1).met(2)


@pytest.mark.parametrize(("num", "den", "expected"), [(3, 2, 1.5), (1, 3, 0.33), (1, 0, None), (None, 2, None)])
def test_ratio(num: float | None, den: float | None, expected: float | None) -> None:
    assert report.ratio(num, den) == expected


@pytest.mark.parametrize(("maxima", "errors"), [
    ({"regwatch_first": 1, "regwatch_second": 1, "naive_first": 3}, 0),  # the naive loop is only reported
    ({"regwatch_first": 2, "regwatch_second": 1, "naive_first": 1}, 1),
    ({"regwatch_first": 2, "regwatch_second": 5}, 2),
])
def test_politeness_errors_only_for_regwatch(maxima: dict[str, int], errors: int) -> None:
    found = politeness_errors(maxima)
    assert len(found) == errors
    assert all(line.startswith("regwatch_") for line in found)


def test_a_failed_target_and_a_politeness_error_show_in_the_readme() -> None:
    targets = report.polling_targets(_polling(17.3, 11.1, 64), _cdio(15.0, 13.8))
    results = {"machine": {"cpus": 2, "platform": "Linux", "python": "3.11"}, "command": "x", "benchmarks": {
        "polling": {"status": "error", "error": "regwatch_first: a host saw 2 concurrent requests",
                    "date": "2026-12-06", "seconds": 1.0,
                    "result": {"targets": targets, "ratios": {}, "figures": {}, "max_concurrent_per_host": {"r": 2}}}}}
    text = report.markdown(results)
    assert text.count("**FAIL**") == 4
    assert "a host saw 2 concurrent requests" in text
    assert "| naive first-round wall / regwatch first-round wall | 3.7 | ≥ 10 | **FAIL** |" in text


@pytest.mark.parametrize(("text", "sizes"), [
    ("300/30,3000/300", [Size(300, 30), Size(3000, 300)]), (" 30/3 , ", [Size(30, 3)]),
])
def test_parse_sizes(text: str, sizes: list[Size]) -> None:
    assert parse_sizes(text) == sizes


@pytest.mark.parametrize("text", ["300", "300/7", "10/20", "a/b", "", "300/0"])
def test_parse_sizes_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        parse_sizes(text)


def _row(publishers: int, hosts: int, rnd: str, wall: float, peak: float = 100, concurrent: int = 1,
         cpu: float = 10) -> dict[str, Any]:
    return {"publishers": publishers, "hosts": hosts, "round": rnd, "wall": wall, "cpu": cpu, "peak_mib": peak,
            "max_concurrent_per_host": concurrent, "network_floor": 2.0}


@pytest.mark.parametrize(("top_wall", "top_peak", "met"), [(45, 250, [True, True]), (61, 250, [False, True]),
                                                          (30, 301, [True, False])])
def test_scale_summary(top_wall: float, top_peak: float, met: list[bool]) -> None:
    rows = [_row(300, 30, "first", 5, cpu=2), _row(3000, 300, "first", top_wall, top_peak, cpu=20),
            _row(3000, 300, "second", top_wall / 10), _row(3000, 60, "first", 12)]
    result = summarise(rows, Size(3000, 300))
    assert [t["met"] for t in result["targets"]] == met
    assert result["ratios"]["wall at 3,000 / wall at 300"] == round(top_wall / 5, 2)
    assert result["ratios"]["hosts at 3,000 / hosts at 300"] == 10
    assert result["ratios"]["cpu at 3,000 / cpu at 300"] == 10
    assert result["ratios"]["second-round wall / first-round wall at 3,000 publishers on 300 hosts"] == 0.1
    assert result["ratios"]["wall on 60 hosts / wall on 300 hosts (3,000 publishers)"] == round(12 / top_wall, 2)
    assert result["errors"] == []


def test_scale_summary_records_an_impolite_cycle() -> None:
    rows = [_row(30, 3, "first", 5), _row(100, 10, "first", 9, concurrent=2)]
    assert summarise(rows, Size(100, 10))["errors"] == [
        "regwatch 100/10 first round: a host saw 2 concurrent requests (promised: at most 1)"]


@pytest.mark.parametrize(("errors", "status"), [([], "ok"), (["regwatch_first: a host saw 2"], "error")])
def test_a_benchmark_reporting_errors_fails_but_keeps_its_figures(monkeypatch: pytest.MonkeyPatch,
                                                                  errors: list[str], status: str) -> None:
    from bench import run

    monkeypatch.setitem(run.BENCHMARKS, "probe", lambda repeats: {"ratios": {"r": repeats}, "errors": errors})
    entry = run.run_one("probe", 3)
    assert entry["status"] == status
    assert entry["result"]["ratios"] == {"r": 3}
    assert entry.get("error") == ("; ".join(errors) or None)
