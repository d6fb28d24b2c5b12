"""`regwatch classify` throughput and scores versus a naive keyword baseline, in the same run.

Throughput: each command reads the same ≥20,000 generated, distinct JSON lines (Chinese and
English titles) on stdin in one process and writes one JSON line per input; timed end to end
(start-up, JSON in and out included) with its CPU time and peak memory. `regwatch` is the
command as shipped, the English gloss on (jieba and CC-CEDICT loaded: its peak memory is the
memory with the dictionaries loaded); `regwatch classify --no-gloss` is the same without the gloss, so
the gloss's cost is a ratio of the same run. Scores: the shared labelled set through the shared
scorer, for the commands that classify; and the gloss's term recall and chrF on the cited
titles (tests/transforms/test_gloss_quality.py).
"""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.common import REPO, figure, run_command
from bench.corpus import titles

SCORER = Path("/work/shared/eval/score_classify.py")
LABELLED = Path("/work/shared/eval/classify_dev.jsonl")
COMMANDS = {"regwatch": [str(REPO / ".venv/bin/regwatch"), "classify"],
            "regwatch (no gloss)": [str(REPO / ".venv/bin/regwatch"), "classify", "--no-gloss"],
            "baseline": [sys.executable, str(REPO / "bench/baseline_classify.py")]}
SCORED = ("regwatch", "baseline")  # --no-gloss classifies exactly as regwatch does


def _scores(cmd: list[str]) -> dict[str, Any]:
    proc = subprocess.run([sys.executable, str(SCORER), str(LABELLED), "--cmd", " ".join(cmd)],
                          capture_output=True, text=True, cwd=REPO, timeout=600)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def measure(repeats: int = 3, count: int = 20_000) -> dict[str, Any]:
    """Throughput (notices/s) of both commands `repeats` times, alternating; then the scores."""
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in COMMANDS}
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "titles.jsonl"
        data.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in titles(count)))
        for _ in range(repeats):
            for name, cmd in COMMANDS.items():
                runs[name].append(run_command(cmd, stdin=data))
    figures = {}
    for name, results in runs.items():
        figures[f"{name}: throughput"] = figure([count / r["wall"] for r in results], "notices/s")
        # Per CPU second: what the machine would do unshared (the wall figure includes waiting
        # for the cores other jobs hold).
        figures[f"{name}: throughput per CPU second"] = figure([count / r["cpu"] for r in results],
                                                               "notices/CPU-s")
        figures[f"{name}: wall for {count:,}"] = figure([r["wall"] for r in results], "s")
        figures[f"{name}: CPU"] = figure([r["cpu"] for r in results], "s")
        figures[f"{name}: peak memory"] = figure([r["peak_mib"] for r in results], "MiB")
    rw, bl, plain = (figures[f"{n}: throughput"]["median"] for n in ("regwatch", "baseline", "regwatch (no gloss)"))
    rw_cpu = figures["regwatch: throughput per CPU second"]["median"]
    memory, plain_memory = (figures[f"{n}: peak memory"]["median"] for n in ("regwatch", "regwatch (no gloss)"))
    scores = {name: _scores(COMMANDS[name]) for name in SCORED} if SCORER.exists() else {}
    return {"inputs": count, "figures": figures,
            "ratios": {"regwatch throughput / baseline throughput": round(rw / bl, 3),
                       "regwatch (gloss on) throughput / target 2,000 notices/s": round(rw / 2000, 2),
                       "regwatch (gloss on) throughput per CPU second / target 2,000": round(rw_cpu / 2000, 2),
                       "regwatch gloss on / gloss off throughput": round(rw / plain, 3),
                       "regwatch gloss on / gloss off peak memory": round(memory / plain_memory, 2)},
            "scores": scores, "gloss": _gloss_quality(),
            "notes": [f"peak memory with the gloss's dictionaries loaded (jieba + CC-CEDICT): {memory:.0f} MiB, "
                      f"{memory - plain_memory:.0f} MiB more than without the gloss"]}


def _gloss_quality() -> dict[str, Any]:
    """Term recall and chrF of the gloss on the cited titles, as the quality test computes them."""
    proc = subprocess.run([sys.executable, "-m", "tests.transforms.test_gloss_quality"],
                          capture_output=True, text=True, cwd=REPO, timeout=600)
    return json.loads(proc.stdout.strip().splitlines()[-1]) if proc.returncode == 0 else {
        "error": proc.stderr.strip()[-300:]}


if __name__ == "__main__":
    print(json.dumps(measure(repeats=1), indent=2, ensure_ascii=False))
