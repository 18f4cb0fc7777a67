"""Competency mapper benchmark: cold start, latency after warm-up, resident memory.

``section()`` runs the measurement in a fresh Python process (so cold start and memory are
those of a new worker) and returns a markdown section for docs/benchmarks.md.

    python -m bench.mapper_bench
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_CHILD = r"""
import json, resource, statistics, sys, time
t0 = time.perf_counter()
from skills_vc.services import mapping
bundle = mapping.get_bundle()
cold_load = time.perf_counter() - t0
mapping.suggest("Couture de masques pour l'hôpital", lang="fr")
cold_first = time.perf_counter() - t0
cases = json.load(open(sys.argv[1], encoding="utf-8"))["cases"]
for case in cases[:10]:
    mapping.suggest(case["text"], lang=case["lang"])
timings = {"all": [], "detect": []}
for _ in range(3):
    for case in cases:
        t = time.perf_counter()
        mapping.suggest(case["text"], lang=case["lang"])
        timings["all"].append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        mapping.suggest(case["text"])
        timings["detect"].append((time.perf_counter() - t) * 1000)
def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(p * len(values)))]
print(json.dumps({
    "encoder": bundle.encoder_name,
    "cold_load_s": cold_load,
    "cold_first_s": cold_first,
    "n": len(timings["all"]),
    "p50_ms": pct(timings["all"], 0.5),
    "p95_ms": pct(timings["all"], 0.95),
    "p95_detect_ms": pct(timings["detect"], 0.95),
    "max_ms": max(timings["all"]),
    "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))
"""


def measure() -> dict[str, float | str]:
    """Run the measurement in a child process and return its figures."""
    devset = ROOT / "tests" / "skills" / "eval" / "devset.json"
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(devset)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, float | str] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def _data_size_mb() -> float:
    data = ROOT / "skills_vc" / "data"
    files = [*(data / "esco").iterdir(), *(data / "catalogue").iterdir()]
    return sum(p.stat().st_size for p in files if p.is_file()) / 1e6


def section() -> str:
    """Markdown section with the mapper's cold start, p95 latency and resident memory."""
    m = measure()

    def verdict(value: float, target: float) -> str:
        return "meets" if value <= target else "MISSES"

    rows = [
        ("cold start: import + load index, catalogue, encoder (s)", m["cold_load_s"], 2.0),
        ("cold start incl. first suggestion (s)", m["cold_first_s"], 2.0),
        ("p95 latency per description after warm-up (ms)", m["p95_ms"], 50.0),
        ("p95 latency with language detection (ms)", m["p95_detect_ms"], 50.0),
        ("resident memory, peak RSS (MB)", m["rss_mb"], 500.0),
    ]
    lines = [
        "## Competency mapper",
        "",
        f"Encoder: {m['encoder']}. {m['n']:.0f} timed suggestions (66 development-set descriptions,"
        f" one line to a paragraph, three rounds) after 10 warm-up calls; p50 {m['p50_ms']:.1f} ms,"
        f" max {m['max_ms']:.1f} ms. Committed mapper data: {_data_size_mb():.1f} MB.",
        "",
        "| measure | value | target | |",
        "|---|---|---|---|",
    ]
    for name, value, target in rows:
        v = float(value)
        lines.append(f"| {name} | {v:.2f} | <= {target:g} | {verdict(v, target)} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(section())
