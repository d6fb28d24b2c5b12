"""Shape benchmark results for results.json and render bench/README.md from them."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

UNITS = {"wall": "s", "bytes": "B", "cpu": "s", "peak_mib": "MiB", "network_floor": "s"}
POLLERS = {"regwatch": "regwatch run_cycle", "naive": "naive cron (requests + feedparser)"}
SCORE_KEYS = ["blockchain_precision", "blockchain_recall", "blockchain_f1", "standard_numbers", "stage", "kind",
              "level", "lang"]


@dataclass(frozen=True)
class Target:
    """A ratio (or figure) and the bound issue 16 sets for it: `value op bound` must hold."""

    name: str
    op: str  # "≥" or "≤"
    bound: float

    def met(self, value: float | None) -> bool | None:
        """True or False; None when the value could not be measured."""
        if value is None:
            return None
        if self.op == "≥":
            return value >= self.bound
        if self.op == "≤":
            return value <= self.bound
        raise ValueError(f"unknown comparison {self.op!r} in target {self.name!r}")


POLLING_TARGETS = (
    Target("naive first-round wall / regwatch first-round wall", "≥", 10),
    Target("changedetection.io first-round wall / regwatch first-round wall", "≥", 2),
    Target("regwatch second-round wall / regwatch first-round wall", "≤", 0.2),
    Target("changedetection.io second-round wall / regwatch second-round wall", "≥", 3),
)


def ratio(numerator: float | None, denominator: float | None, digits: int = 2) -> float | None:
    """numerator / denominator, rounded; None when either is missing or the denominator is 0."""
    if numerator is None or not denominator:
        return None
    return round(numerator / denominator, digits)


def check_targets(values: dict[str, float | None], targets: tuple[Target, ...]) -> list[dict[str, Any]]:
    """Each target with its measured value and whether it is met (None: not measured)."""
    return [{"target": t.name, "value": values.get(t.name), "bound": f"{t.op} {t.bound:g}",
             "met": t.met(values.get(t.name))} for t in targets]


def polling_targets(polling: dict[str, Any], cdio: dict[str, Any]) -> list[dict[str, Any]]:
    """Issue 16's four polling ratios, from the medians of one run (changedetection.io's may be missing)."""
    def wall(side: dict[str, Any] | None) -> float | None:
        return side["wall"]["median"] if side else None

    measured = cdio.get("status") == "measured"
    rw1, rw2 = wall(polling["regwatch_first"]), wall(polling["regwatch_second"])
    cd1, cd2 = (wall(cdio["first"]), wall(cdio["second"])) if measured else (None, None)
    values = dict(zip((t.name for t in POLLING_TARGETS), (
        ratio(wall(polling["naive_first"]), rw1), ratio(cd1, rw1), ratio(rw2, rw1, 3), ratio(cd2, rw2))))
    return check_targets(values, POLLING_TARGETS)


def polling_result(polling: dict[str, Any], cdio: dict[str, Any]) -> dict[str, Any]:
    """bench.polling's summary plus changedetection.io's, as figures and same-run ratios."""
    figures: dict[str, Any] = {}
    for key, label in POLLERS.items():
        for rnd in ("first", "second"):
            for k, unit in UNITS.items():
                figures[f"{label}, {rnd} round: {k}"] = {**polling[f"{key}_{rnd}"][k], "unit": unit}
    ratios = {
        "naive wall / regwatch wall (first round)": polling["ratios"]["wall_naive_over_regwatch"],
        "regwatch second-round bytes / first-round bytes (target ≤ 0.05)": polling["ratios"]["second_round_bytes_share_regwatch"],
        "naive second-round bytes / first-round bytes": polling["ratios"]["second_round_bytes_share_naive"],
    }
    for key in ("regwatch_first", "regwatch_second", "naive_first"):
        ratios[f"{key.replace('_', ' ')} wall / network floor"] = polling[key]["wall_over_floor"]
    notes = []
    if cdio.get("status") == "measured":
        for rnd in ("first", "second"):
            for k in UNITS:
                figures[f"changedetection.io, {rnd} round: {k}"] = cdio[rnd][k]
        rw = polling["regwatch_first"]
        ratios["changedetection.io wall / regwatch wall (first round)"] = round(
            cdio["first"]["wall"]["median"] / rw["wall"]["median"], 2)
        ratios["changedetection.io second-round wall / regwatch second-round wall"] = round(
            cdio["second"]["wall"]["median"] / polling["regwatch_second"]["wall"]["median"], 2)
        ratios["changedetection.io second-round bytes / first-round bytes"] = round(
            cdio["second"]["bytes"]["median"] / cdio["first"]["bytes"]["median"], 4)
        ratios["changedetection.io first-round bytes / regwatch first-round bytes"] = round(
            cdio["first"]["bytes"]["median"] / rw["bytes"]["median"], 2)
        for rnd in ("first", "second"):
            ratios[f"changedetection.io {rnd} wall / network floor"] = ratio(
                cdio[rnd]["wall"]["median"], cdio[rnd]["network_floor"]["median"])
        notes.append(f"changedetection.io: {cdio['version']}, {cdio['watches']} watches, default settings "
                     f"(5 fetch workers, plain requests fetcher, no browser); {cdio['errors_first_round']} "
                     "watches reported an error in the first round (the farm's failing feeds)")
    else:
        notes.append(f"changedetection.io NOT MEASURED: {cdio.get('reason')}")
    detail = {k: polling[k] for k in ("publishers", "failing")}
    detail.update({f"{k}_items_errors": {"items": polling[k]["items"], "errors": polling[k]["errors"]}
                   for k in ("regwatch_first", "regwatch_second", "naive_first", "naive_second")})
    politeness = {f"{POLLERS[k.split('_')[0]]}, {k.split('_')[1]} round": polling[k]["max_concurrent_per_host"]
                  for k in ("regwatch_first", "regwatch_second", "naive_first", "naive_second")}
    if cdio.get("status") == "measured":
        politeness.update({f"changedetection.io, {rnd} round": cdio[rnd]["max_concurrent_per_host"]
                           for rnd in ("first", "second")})
    return {"figures": figures, "ratios": ratios, "targets": polling_targets(polling, cdio),
            "max_concurrent_per_host": politeness, "errors": polling["politeness_errors"],
            "notes": notes, "detail": detail, "changedetection_io": cdio}


def _fmt(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, int) or float(value).is_integer() and abs(value) >= 1:
        return f"{value:,.0f}"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(_fmt(c) for c in row) + " |" for row in rows]


def markdown(results: dict[str, Any]) -> str:
    """The whole bench/README.md."""
    machine = results["machine"]
    out = ["# regwatch benchmarks", "",
           "Generated by `make bench`, i.e. `.venv/bin/python -m bench.run` from the repository root "
           "(this file and `bench/results.json` are rewritten by each run; do not edit them by hand).", "",
           f"- Command of the last run: `{results['command']}`",
           f"- Machine: **{machine['cpus']} cores** (`os.cpu_count()`), {machine['platform']}, Python {machine['python']}",
           f"- Date of the last run: {results.get('date', '?')} (each benchmark's own date is below)", "",
           "## Headline: ratios measured in the same run", "",
           "Absolute times on a shared 2-core machine are noise; each ratio compares two things measured "
           "minutes apart in the same run, under the same load.", ""]
    bench = results["benchmarks"]
    targets = [[n, t["target"], t["value"], t["bound"], verdict(t["met"])]
               for n, b in bench.items() for t in (b.get("result") or {}).get("targets", [])]
    if targets:
        out += ["### Issue 16's targets", ""] + _table(["benchmark", "target", "value", "bound", "met"], targets)
        out += ["", "### Every ratio", ""]
    out += _table(["benchmark", "ratio", "value"],
                  [[n, k, v] for n, b in bench.items() for k, v in (b.get("result") or {}).get("ratios", {}).items()])
    out += ["", "## Every figure", "",
            "Median of the runs, with the spread (min and max); `runs` is how many measurements.", ""]
    for name, entry in bench.items():
        out += [f"### {name}", "", f"Run {entry['date']}, took {entry['seconds']:.0f} s, status **{entry['status']}**.", ""]
        if entry["status"] != "ok":
            out += [f"Error: `{entry['error']}`", ""]
        if not entry.get("result"):
            continue
        result = entry["result"]
        if result.get("figures"):
            out += _table(["figure", "median", "min", "max", "runs", "unit"],
                          [[k, f["median"], f["min"], f["max"], f["runs"], f["unit"]]
                           for k, f in result["figures"].items()]) + [""]
        out += _extras(name, result)
        out += [f"- {note}" for note in result.get("notes", [])] + [""]
    return "\n".join(out + [RERUN, METHOD]) + "\n"


def verdict(met: bool | None) -> str:
    return {True: "**pass**", False: "**FAIL**", None: "not measured"}[met]


SCALE_COLUMNS = [("publishers", "publishers"), ("hosts", "hosts"), ("round", "round"), ("wall", "wall s"),
                 ("cpu", "CPU s"), ("cpu_ms_per_publisher", "CPU ms / publisher"), ("peak_mib", "peak MiB"),
                 ("requests", "requests"), ("max_concurrent_per_host", "max concurrent / host"),
                 ("network_floor", "network floor s"), ("wall_over_floor", "wall / floor"), ("errors", "publishers failed")]


def _extras(name: str, result: dict[str, Any]) -> list[str]:
    if name == "polling" and result.get("max_concurrent_per_host"):
        return ["Most requests any one host was serving at once (max over every run; regwatch must stay at 1, "
                "the others are reported):", ""] + _table(
            ["poller, round", "max concurrent per host"], [[k, v] for k, v in result["max_concurrent_per_host"].items()]
        ) + [""]
    if name == "scale" and result.get("rows"):
        return (["One cycle per size (`runs` = 1), each in a child process on freshly created indices:", ""]
                + _table([label for _, label in SCALE_COLUMNS],
                         [[row.get(k) for k, _ in SCALE_COLUMNS] for row in result["rows"]]) + [""]
                + [f"- Growth: {line}" for line in result.get("growth", [])] + [""])
    if name == "understanding" and result.get("scores"):
        return (["Scores on the shared labelled set (`/work/shared/eval/score_classify.py "
                 "/work/shared/eval/classify_dev.jsonl`, the baseline through `--cmd`):", ""]
                + _table(["command", "items", *SCORE_KEYS],
                         [[n, s["items"], *(s[k] for k in SCORE_KEYS)] for n, s in result["scores"].items()]) + [""]
                + _gloss(result.get("gloss")))
    if name == "latency":
        return [f"Items published: {result['items']}, alerted by email: {result['alerted']}, missing: "
                f"{', '.join(result['missing']) or 'none'}; Airflow stack start-up to first scheduled poll: "
                f"{result['stack_startup_s']} s; targets met: p50 ≤ 35 s {result.get('target_p50_met')}, "
                f"p95 ≤ 70 s {result.get('target_p95_met')}.",
                f"Per-item latencies (s): {', '.join(str(v) for v in result['latencies_s'])}.", ""]
    if name == "indexing" and result.get("outcomes"):
        return ["Outcomes reported by each approach (last run): " + "; ".join(
            f"{k}: first {v['first']}, re-run {v['rerun']}" for k, v in result["outcomes"].items()), ""]
    return []


def _gloss(quality: dict[str, Any] | None) -> list[str]:
    if not quality or "term_recall" not in quality:
        return [f"English gloss quality not measured: {quality.get('error')}", ""] if quality else []
    return [f"English gloss on {quality['titles']} cited standard titles "
            "(`.venv/bin/python -m tests.transforms.test_gloss_quality`): term recall "
            f"**{quality['term_recall']}** (target ≥ 0.80), chrF **{quality['chrF']}**.", ""]


RERUN = """## Rerunning

- Everything: `make bench` (or `.venv/bin/python -m bench.run`); 30–50 minutes on 2 cores. Each benchmark's
  duration is under its heading; on 2026-12-06 with the polling core of that day, on a shared machine:
  `polling` 16 minutes (of which the naive loop's 6 rounds are 6 minutes whatever regwatch does, and the
  first-time install of changedetection.io about 4), `scale` 14 minutes (about 3 once a 3,000-publisher
  cycle takes its target 60 s).
- One or several benchmarks: `.venv/bin/python -m bench.run polling` (names: `polling`, `scale`, `understanding`,
  `indexing`, `matching`, `latency`); the other benchmarks' last results stay in `results.json`.
- The scale benchmark's sizes: `--scale-sizes 300/30,1000/100,3000/300,3000/60` (PUBLISHERS/HOSTS, the default;
  also `REGWATCH_BENCH_SCALE_SIZES`); a quick development run: `.venv/bin/python -m bench.scale 30/3,100/10`.
- More repetitions: `--repeats 5`. List the names: `--list`.
- Each module also runs alone for a quick look (one repetition, printed, nothing written):
  `.venv/bin/python -m bench.polling`, `bench.cdio`, `bench.scale`, `bench.understanding`, `bench.indexing`,
  `bench.matching`, `bench.latency`; `bench/bench_matching.py` keeps its own command line (`--help`).
- Elasticsearch benchmarks use a dedicated local node named `bench` on port 9280
  (`REGWATCH_BENCH_ES_PORT` to move it: the node is then named `bench-PORT`, so two runs side by side never
  share one), never the development node on 9200; the run stops it at the end.
- changedetection.io is installed on first use into `bench/.venv-cdio` (its own venv, git-ignored).
"""

METHOD = """## Method and caveats

- **Ratios are the headline.** The machine is shared (other jobs run tests on the same 2 cores), so wall
  times swing by 2–4× between runs; both sides of every ratio are measured in the same run, interleaved
  where possible. CPU seconds (from `os.wait4` / `/proc`) are steadier than wall time and are reported too.
- **Polling**: 300 feeds on 60 loopback hosts (127.0.0.1–127.0.0.60), 100–300 ms per answer, a fixed 5% answering
  500; the farm counts the bytes it writes (status line, headers, body), so every poller is measured on the
  wire the same way. The farm also counts, per host, the requests it is serving at once (from the start of
  a request to just before its answer is written, so a client that waits for an answer before its next
  request is never counted twice) and the latencies it served: the **network floor** of a round is the
  busiest host's sum, the least time any poller that keeps one request per host at a time can take
  (it varies a little between pollers: latencies are drawn per request, and retries count). regwatch
  promises one request at a time per host, so a round in which any host saw two makes the benchmark an
  error (its figures are kept); the naive loop's and changedetection.io's maxima are reported only.
  Issue 16's targets are ratios of medians measured in the same run: naive first / regwatch first ≥ 10,
  changedetection.io first / regwatch first ≥ 2, regwatch second / regwatch first ≤ 0.2,
  changedetection.io second / regwatch second ≥ 3. regwatch (`run_cycle`, indexing into the bench node) and the naive script each run in a
  child process (CPU and peak RSS from `wait4`); the second round is the same command again with nothing
  changed. changedetection.io runs as its own server process (CPU from `/proc/PID/stat`, peak RSS as
  `VmHWM` reset per round); its round starts with the API call (import, then `recheck_all`) and ends when the
  farm has answered every watch and its queue is empty with no check running. It does not send conditional
  requests, so its second round transfers as much as its first.
- **Scale**: the same farm at 10 feeds per host: 300 publishers on 30 hosts, 1,000 on 100 and 3,000 on 300
  (127.0.0.1–127.0.1.46), plus 3,000 on 60 hosts (50 feeds each), which separates what hosts cost from what
  publishers cost. Each size is one cycle of `run_cycle` in a child process on freshly created indices
  (`runs` = 1: the sizes are the repetitions), and the 3,000-on-300 size is polled a second time with
  nothing changed. Targets: that cycle in ≤ 60 s with peak memory ≤ 300 MiB; the growth from 300 to 3,000
  (wall against hosts and publishers, both 10×) is stated. Politeness is asserted as in polling.
- **Understanding**: 20,000 distinct generated titles (about 70% Chinese, 30% about blockchain, many
  templates, issuers, years and numbers); both commands are timed end to end as one process reading JSON
  lines on stdin (start-up included), alternating. "Per CPU second" divides by the process's CPU time, i.e.
  what an unshared core would do. The baseline is `bench/baseline_classify.py` (two substring tests).
  `regwatch` is `regwatch classify` as shipped, with the English gloss (`title_en`: jieba + CC-CEDICT loaded
  on first use, so its start-up and peak memory include both dictionaries); "regwatch (no gloss)" is
  `regwatch classify --no-gloss`, so their ratio is the gloss's cost.
- **Indexing**: realistic generated Notices (all contract fields, bodies of 0.1–1 KB); each measurement starts
  from freshly created indices. "One request per notice" is `es.index` per notice plus one refresh; it
  cannot tell created from unchanged, so its re-run rewrites everything. It is timed three times on 10k;
  at 100k once if a first run and a re-run fit in 5 minutes at the 10k rate, else on a 20k sample (first
  run only); the notes say which.
- **Matching**: `bench/bench_matching.py`'s notices and subscriptions; a run is load subscriptions + fetch
  the 500 notices + match; one warm-up, then the timed runs.
- **Latency**: one run of the real Airflow stack (api-server, scheduler, dag-processor, triggerer;
  LocalExecutor on SQLite in a temporary AIRFLOW_HOME) with `REGWATCH_POLL_SCHEDULE="* * * * *"` and the
  publisher's own `schedule: "* * * * *"`. Items are published 20–40 s apart, at random phases of the minute;
  p50 and p95 (nearest rank) are over the items, min and max are the fastest and slowest item. A lower bound
  is the wait for the next minute tick (30 s on average), then the poll DAG's tasks, the asset-triggered
  dispatch DAG and SMTP delivery.
- Not measured here: behaviour over real networks (TLS, far-away hosts), Kibana, Slack delivery.
"""
