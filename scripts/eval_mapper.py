"""Evaluate the competency mapper on the labelled development set and the Competent stand-in.

    python scripts/eval_mapper.py [--quick] [--markdown docs/mapper-eval.md]

For each configuration (lexical only, + encoder, + templates, final) it prints, per language,
recall@5, recall@10 and MRR of the essential skills of the development set
(``tests/skills/eval/devset.json``), then the same on the stand-in: a held-out Competent
French/Dutch label must retrieve its ESCO exact/close match (those labels were left out of the
indexed synonyms by ``scripts/build_esco_index.py``). Latency is the wall time per description.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from skills_vc.core.skills.mapper import Mapper, MapperConfig  # noqa: E402
from skills_vc.services.mapping import load_bundle  # noqa: E402

DEVSET = ROOT / "tests" / "skills" / "eval" / "devset.json"
HOLDOUT = ROOT / "skills_vc" / "data" / "esco" / "competent_holdout.json"

FINAL = MapperConfig()
CONFIGS: list[tuple[str, MapperConfig]] = [
    ("lexical only", replace(FINAL, dense=False, templates=False, reuse_prior=False)),
    ("+ encoder", replace(FINAL, templates=False, reuse_prior=False)),
    ("+ templates", replace(FINAL, reuse_prior=False)),
    ("final (+ reuse-level prior)", FINAL),
]


def _ranks(
    mapper: Mapper, text: str, lang: str, targets: list[int], withhold_best: bool = False
) -> tuple[list[int], float]:
    if withhold_best:
        # Simulate an activity that is not in the catalogue: drop the template this text
        # matches best and rank again without it.
        first = mapper.suggest(text, lang=lang, limit=1)
        if first.templates:
            excluded = frozenset({first.templates[0][0]})
            mapper = mapper.with_config(replace(mapper.config, exclude_templates=excluded))
    start = time.perf_counter()
    result = mapper.suggest(text, lang=lang, limit=50)
    elapsed = time.perf_counter() - start
    order = [s.position for s in result.suggestions]
    return [order.index(t) + 1 if t in order else 10_000 for t in targets], elapsed


def evaluate(
    mapper: Mapper, cases: list[dict[str, Any]], withhold_best: bool = False
) -> dict[str, dict[str, float]]:
    """Per language: recall@5, recall@10, MRR (first essential skill found), latency."""
    per: dict[str, dict[str, list[float]]] = {}
    for case in cases:
        targets = [mapper.index.position(u) for u in case["essential"]]
        ranks, elapsed = _ranks(mapper, case["text"], case["lang"], targets, withhold_best)
        bucket = per.setdefault(case["lang"], {"r5": [], "r10": [], "mrr": [], "ms": []})
        bucket["r5"].append(sum(r <= 5 for r in ranks) / len(ranks))
        bucket["r10"].append(sum(r <= 10 for r in ranks) / len(ranks))
        best = min(ranks)
        bucket["mrr"].append(1.0 / best if best <= 50 else 0.0)
        bucket["ms"].append(elapsed * 1000)
    out: dict[str, dict[str, float]] = {}
    for lang, b in sorted(per.items()):
        ms = sorted(b["ms"])
        out[lang] = {
            "n": len(b["r5"]),
            "recall@5": statistics.fmean(b["r5"]),
            "recall@10": statistics.fmean(b["r10"]),
            "mrr": statistics.fmean(b["mrr"]),
            "p50_ms": ms[len(ms) // 2],
            "p95_ms": ms[min(len(ms) - 1, int(0.95 * len(ms)))],
        }
    return out


def standin_cases(limit: int | None) -> list[dict[str, Any]]:
    """Held-out Competent labels as queries in FR and NL, each with one ESCO target."""
    pairs = json.loads(HOLDOUT.read_text(encoding="utf-8"))
    cases: list[dict[str, Any]] = []
    for lang in ("fr", "nl"):
        for pair in pairs[:limit] if limit else pairs:
            if pair[lang]:
                cases.append({"lang": lang, "text": pair[lang], "essential": [pair["uri"]]})
    return cases


def _table(title: str, rows: list[tuple[str, dict[str, dict[str, float]]]]) -> str:
    lines = [
        f"### {title}",
        "",
        "| configuration | lang | n | recall@5 | recall@10 | MRR | p50 ms | p95 ms |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, res in rows:
        for lang, m in res.items():
            lines.append(
                f"| {name} | {lang} | {m['n']:.0f} | {m['recall@5']:.3f} | {m['recall@10']:.3f}"
                f" | {m['mrr']:.3f} | {m['p50_ms']:.1f} | {m['p95_ms']:.1f} |"
            )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description="Evaluate the competency mapper.")
    parser.add_argument("--quick", action="store_true", help="stand-in on 100 pairs only")
    parser.add_argument("--markdown", type=Path, help="also write the tables to this file")
    args = parser.parse_args()
    start = time.perf_counter()
    bundle = load_bundle()
    print(f"loaded in {time.perf_counter() - start:.2f}s; encoder: {bundle.encoder_name}")
    devset = json.loads(DEVSET.read_text(encoding="utf-8"))["cases"]
    standin = standin_cases(100 if args.quick else None)
    # Warm up the encoder and caches so latency figures are steady-state.
    for case in devset[:5]:
        bundle.mapper.suggest(case["text"], lang=case["lang"])
    dev_rows = []
    standin_rows = []
    for name, config in CONFIGS:
        mapper = bundle.mapper.with_config(config)
        dev_rows.append((name, evaluate(mapper, devset)))
        standin_rows.append((name, evaluate(mapper, standin)))
    final = bundle.mapper.with_config(FINAL)
    dev_rows.append(("final, best template withheld", evaluate(final, devset, withhold_best=True)))
    text = _table(f"Development set ({len(devset)} cases)", dev_rows) + "\n" + _table(
        f"Competent stand-in ({len(standin)} held-out labels)", standin_rows
    )
    print(text)
    if args.markdown:
        args.markdown.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
