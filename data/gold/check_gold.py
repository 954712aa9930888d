#!/usr/bin/env python3
"""Validate the hand-annotated gold files in this directory and print their counts.

Usage: python3 data/gold/check_gold.py [news-dev.jsonl news-test.jsonl ...]
       (default: every news-*.jsonl next to this script)

Checks per line: valid JSON object; required keys and types; id "<article>-s<N>" unique
across all files; `article` names a VOA article of the reference file; `date` equals the
article's published_at day; `text` occurs verbatim in the article and looks like a full
sentence (starts with a capital letter, digit or quote, ends with . ! ? or a closing quote);
`expected` == [] exactly when `noevents` is true; every code is in the CAMEO table; every
actor code is a country code (data/dictionaries/countries.txt) or an IGO code (igos.txt)
followed by zero or more 3-letter role codes from the CAMEO agent table; dev records come
from even-indexed articles and test records from odd-indexed ones (0-based line index in
voa_articles.jsonl); no article has more than 10 sentences in one file.

Exit status 0 when every check passes, 1 otherwise (each problem printed as file:line: what).
Reads only; no network; standard library only.
"""
import collections
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
REF = os.environ.get("DYAD_REFERENCE_DIR", os.path.join(REPO, "..", "shared", "reference"))

REQUIRED = {"id": str, "text": str, "date": str, "expected": list, "category": str,
            "sentence": str, "notes": list, "article": str}


def load_codes(path, key="code"):
    with open(path, encoding="utf-8") as f:
        header = f.readline().rstrip("\n").split("\t")
        col = header.index(key)
        rows = [line.rstrip("\n").split("\t") for line in f if line.strip()]
    return rows, col, header


def dict_codes(path):
    codes = set()
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                codes.add(line.split("|", 1)[0].strip())
    return codes


def main(argv):
    files = argv[1:] or sorted(
        os.path.join(HERE, n) for n in os.listdir(HERE) if re.fullmatch(r"news-.*\.jsonl", n))
    rows, col, header = load_codes(os.path.join(REF, "cameo", "cameo_eventcodes.tsv"))
    cameo = {r[col]: r for r in rows}
    quad_col = header.index("quad_class")
    roles_rows, rcol, _ = load_codes(os.path.join(REF, "agents", "cameo_agent_codes.tsv"))
    roles = {r[rcol] for r in roles_rows if re.fullmatch(r"[A-Z]{3}", r[rcol])}
    countries = dict_codes(os.path.join(REPO, "data", "dictionaries", "countries.txt"))
    igos = sorted(dict_codes(os.path.join(REPO, "data", "dictionaries", "igos.txt")),
                  key=len, reverse=True)
    arts = {}
    with open(os.path.join(REF, "news", "voa_articles.jsonl"), encoding="utf-8") as f:
        for i, line in enumerate(f):
            a = json.loads(line)
            arts[a["id"]] = (i, a)

    def actor_ok(code):
        rest = None
        for igo in igos:
            if code.startswith(igo):
                rest = code[len(igo):]
                break
        if rest is None:
            if code[:3] not in countries:
                return False
            rest = code[3:]
        if len(rest) % 3:
            return False
        return all(rest[i:i + 3] in roles for i in range(0, len(rest), 3))

    problems = 0
    seen = {}
    for path in files:
        name = os.path.basename(path)
        want_parity = 0 if "dev" in name else 1 if "test" in name else None
        per_article = collections.Counter()
        n_sent = n_noev = 0
        n_ev = collections.Counter()
        roots = collections.Counter()
        quads = collections.Counter()
        digits = collections.Counter()

        def bad(lineno, msg):
            nonlocal problems
            problems += 1
            print(f"{name}:{lineno}: {msg}")

        with open(path, encoding="utf-8") as f:
            for lineno, line in enumerate(f, 1):
                try:
                    r = json.loads(line)
                except json.JSONDecodeError as e:
                    bad(lineno, f"invalid JSON: {e}")
                    continue
                if not isinstance(r, dict):
                    bad(lineno, "not a JSON object")
                    continue
                missing = [k for k, t in REQUIRED.items() if not isinstance(r.get(k), t)]
                if missing:
                    bad(lineno, f"missing or mistyped keys: {missing}")
                    continue
                n_sent += 1
                rid = r["id"]
                if rid in seen:
                    bad(lineno, f"duplicate id {rid} (also {seen[rid]})")
                seen[rid] = f"{name}:{lineno}"
                m = re.fullmatch(r"(\d+)-s(\d+)", rid)
                if not m or m.group(1) != r["article"]:
                    bad(lineno, f"id {rid} is not <article>-s<N> for article {r['article']}")
                if r["article"] not in arts:
                    bad(lineno, f"unknown article {r['article']}")
                    continue
                idx, art = arts[r["article"]]
                per_article[r["article"]] += 1
                if want_parity is not None and idx % 2 != want_parity:
                    bad(lineno, f"article {r['article']} has index {idx}: wrong split")
                if r["date"] != art["published_at"][:10].replace("-", ""):
                    bad(lineno, f"date {r['date']} != published_at {art['published_at']}")
                text = r["text"]
                if text not in art["text"]:
                    bad(lineno, "text does not occur verbatim in the article")
                if not re.match(r"[A-Z0-9\"“‘']", text) or not re.search(r"[.!?][\"”’)]*$", text):
                    bad(lineno, "text does not look like a full sentence")
                if r["category"] != "NEWS" or r["sentence"] != "true":
                    bad(lineno, "category must be NEWS and sentence \"true\"")
                exp = r["expected"]
                if bool(r.get("noevents")) != (len(exp) == 0):
                    bad(lineno, "noevents must be true exactly when expected is empty")
                if not exp:
                    n_noev += 1
                triples = set()
                for e in exp:
                    if not isinstance(e, dict) or set(e) != {"source", "target", "code"}:
                        bad(lineno, f"bad expected entry {e}")
                        continue
                    key = (e["source"], e["target"], e["code"])
                    if key in triples:
                        bad(lineno, f"duplicate triple {key}")
                    triples.add(key)
                    if e["code"] not in cameo:
                        bad(lineno, f"code {e['code']} not in cameo_eventcodes.tsv")
                        continue
                    for side in ("source", "target"):
                        if not actor_ok(e[side]):
                            bad(lineno, f"{side} {e[side]} is not country/IGO + roles")
                    if e["source"] == e["target"]:
                        bad(lineno, f"source == target ({e['source']})")
                    n_ev[len(e["code"])] += 1
                    roots[e["code"][:2]] += 1
                    quads[cameo[e["code"]][quad_col]] += 1
                    digits[len(e["code"])] += 1
        for a, n in per_article.items():
            if n > 10:
                bad(0, f"article {a} has {n} sentences (max 10)")
        n_events = sum(n_ev.values())
        print(f"{name}: {n_sent} sentences from {len(per_article)} articles; "
              f"{n_sent - n_noev} with events, {n_noev} without; {n_events} expected events")
        print("  per root: " + ", ".join(f"{k}:{v}" for k, v in sorted(roots.items())))
        print("  per quad class: " + ", ".join(f"{k}:{v}" for k, v in sorted(quads.items())))
        print("  code digits: " + ", ".join(f"{k}:{v}" for k, v in sorted(digits.items())))
    print("OK" if problems == 0 else f"{problems} problem(s)")
    return 0 if problems == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
