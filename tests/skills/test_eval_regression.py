"""The development-set figures reported in docs/mapper.md do not regress unnoticed."""

from __future__ import annotations

import json
import statistics
from pathlib import Path

from skills_vc.services import mapping

DEVSET = Path(__file__).parent / "eval" / "devset.json"


def test_devset_recall_at_10_stays_above_0_8_per_language(bundle: mapping.MapperBundle) -> None:
    cases = json.loads(DEVSET.read_text(encoding="utf-8"))["cases"]
    recall: dict[str, list[float]] = {}
    for case in cases:
        result = bundle.mapper.suggest(case["text"], lang=case["lang"], limit=10)
        found = {bundle.index.uri(s.position) for s in result.suggestions}
        share = sum(u in found for u in case["essential"]) / len(case["essential"])
        recall.setdefault(case["lang"], []).append(share)
    means = {lang: statistics.fmean(values) for lang, values in recall.items()}
    assert set(means) == {"fr", "nl", "en"}
    assert all(value >= 0.8 for value in means.values()), means
