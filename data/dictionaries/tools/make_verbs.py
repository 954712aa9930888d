#!/usr/bin/env python3
"""Derives data/dictionaries/verbs.petrarch2.txt (dyad's pattern format) from PETRARCH2's CAMEO
verb dictionary, CAMEO.2.0.txt (MIT, Copyright (c) 2015 Open Event Data Alliance; see
data/dictionaries/README.md and LICENSE.petrarch2.txt).

PETRARCH2 matches its patterns against a full constituency parse; dyad matches word sequences,
so each pattern becomes a sequence with `~` gaps:

    --- ACCUSE [112] ---        →  112 | *accuse/accused/...        (the bare verb's code)
    - * (OF CORRUPTION) [1121]  →  1121 | *accuse ~ of ~ corruption
    - &MILITARY * + [190]       →  190 | army/troops/... ~ *attack ~ +

Synonym sets (&NAME) become alternatives (single-word members only); `{A B}` noun phrases and
`A_B` words become adjacent words. Left out, and counted in the file header: null-coded entries
([---], which only block other codings in PETRARCH2), patterns with `^` (actor skipping) or `%`,
synsets whose members are all multi-word, transformations (`~` lines), codes missing from the
CAMEO table, and bare verbs coded 010 ("make statement": PETRARCH2 codes every "said" with a
target; dyad leaves plain statements uncoded). Paired codes [032:033] keep the first code.

Run from the repository root:  python3 data/dictionaries/tools/make_verbs.py
"""
import collections
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.environ.get("DYAD_SHARED_DIR", os.path.join(HERE, "../../../../shared"))
SOURCE = os.path.join(SHARED, "reference/petrarch2/CAMEO.2.0.txt")
CAMEO_TABLE = os.path.join(HERE, "../../cameo/cameo_eventcodes.tsv")
OUT = os.path.join(HERE, "..", "verbs.petrarch2.txt")

# Bare verbs too vague to code on their own in news text, whatever their block says.
SKIP_BARE_CODES = {"010"}
# Common verbs that PETRARCH2 codes bare only because its parse limits them to an actor object;
# dyad keeps them in patterns with more context ("take over", "hold talks") but not alone.
GENERIC_VERBS = set("""be have do say get make go know take see come think look want give use find
tell ask work seem feel try leave call keep let begin help show hear play run move live believe
bring happen write provide sit stand lose pay meet include continue set learn change lead
understand watch follow stop create speak read allow add spend grow open walk win offer remember
consider appear buy wait serve die send expect build stay fall cut reach kill remain suggest raise
pass sell require report decide pull put hold turn start strengthen tie face mark note reflect
""".split())


def known_codes():
    codes = set()
    with open(CAMEO_TABLE, encoding="utf-8") as f:
        next(f)
        for line in f:
            codes.add(line.split("\t", 1)[0])
    return codes


def strip_comment(line):
    return line.split("#", 1)[0].strip()


def words(phrase):
    """'+STIR_UP' → ['stir', 'up'] with the index of the verb word ('+' marks it; default 0)."""
    parts = phrase.split("_")
    verb = 0
    out = []
    for i, p in enumerate(parts):
        if p.startswith("+"):
            verb = i
            p = p[1:]
        if p:
            out.append(p.lower())
    return out, verb


class Dictionary:
    def __init__(self):
        self.synsets = {}  # name → list of lower-case single words
        self.blocks = []  # (code, [verb forms...], [(pattern tokens, code)])
        self.skipped = collections.Counter()


def parse(path):
    d = Dictionary()
    synset = None
    block = None
    with open(path, encoding="utf-8", errors="replace") as f:
        for raw in f:
            line = strip_comment(raw.rstrip("\n").replace("\x1a", ""))
            if not line:
                continue
            if line.startswith("&"):
                synset = line.rstrip("_")
                d.synsets[synset] = []
                block = None
                continue
            if line.startswith("+") and synset is not None and block is None:
                member = line[1:].rstrip("_").lower()
                if "_" in member:
                    d.skipped["multi-word synset member"] += 1
                else:
                    d.synsets[synset].append(member)
                continue
            m = re.match(r"^---\s+(.*?)\s+\[(.*?)\]\s+---", line)
            if m:
                synset = None
                block = {"code": m.group(2).strip(), "verbs": [], "patterns": []}
                d.blocks.append(block)
                continue
            if block is None:
                continue
            if line.startswith("~"):
                d.skipped["transformation"] += 1
                continue
            if line.startswith("-"):
                pm = re.match(r"^-\s*(.*?)\s*\[([^\]]*)\]", line)
                if not pm:
                    d.skipped["unreadable pattern"] += 1
                    continue
                block["patterns"].append((pm.group(1), pm.group(2).strip()))
                continue
            # A verb line: VERB [code] {FORMS}
            code = None
            cm = re.search(r"\[([^\]]*)\]", line)
            if cm:
                code = cm.group(1).strip()
                line = line[: cm.start()] + line[cm.end() :]
            forms = []
            fm = re.search(r"\{([^}]*)\}", line)
            if fm:
                forms = fm.group(1).split()
                line = line[: fm.start()] + line[fm.end() :]
            head = line.split()
            if not head:
                continue
            block["verbs"].append((head[0], forms, code))
    return d


def verb_element(verbs):
    """Groups verbs by their shape: [(before words, verb alternatives, after words)]."""
    shapes = collections.OrderedDict()
    for head, forms, _ in verbs:
        ws, vi = words(head)
        if not ws:
            continue
        key = (tuple(ws[:vi]), tuple(ws[vi + 1 :]))
        alts = shapes.setdefault(key, [])
        for w in [ws[vi]] + [words(f)[0][words(f)[1]] for f in forms if words(f)[0]]:
            if w not in alts:
                alts.append(w)
    return [(list(b), alts, list(a)) for (b, a), alts in shapes.items()]


def convert_pattern(text, synsets, skipped):
    """PETRARCH pattern text (without code) → list of dyad element strings with a '*' marker."""
    if "^" in text or "%" in text:
        skipped["pattern with ^ or %"] += 1
        return None
    out = []
    # Tokens: {A B}, (PREP ...), words, $, +, *
    for tok in re.findall(r"\{[^}]*\}|\([^)]*\)|\S+", text):
        if tok.startswith("{") or tok.startswith("("):
            inner = tok[1:-1].split()
            group = []
            for w in inner:
                el = word_element(w, synsets, skipped)
                if el is None:
                    return None
                group.append(el)
            out.append(" ".join(group))
        elif tok in ("*", "$", "+"):
            out.append(tok)
        else:
            el = word_element(tok, synsets, skipped)
            if el is None:
                return None
            out.append(el)
    if "*" not in out:
        skipped["pattern without *"] += 1
        return None
    # dyad patterns start with a word: a leading source slot is the subject anyway; a leading
    # target slot (the target before the verb) has no dyad equivalent.
    while out and out[0] == "$":
        out.pop(0)
    if out and out[0] == "+":
        skipped["pattern starting with the target"] += 1
        return None
    return out


def word_element(w, synsets, skipped):
    if w.startswith("&"):
        members = synsets.get(w.rstrip("_"))
        if not members:
            skipped["synset unknown or only multi-word"] += 1
            return None
        return "/".join(members)
    parts = [p for p in w.lower().strip("_").split("_") if p]
    if not parts or any(not re.match(r"^[a-z0-9'.\-]+$", p) for p in parts):
        skipped["unreadable word"] += 1
        return None
    return " ".join(parts)


def main():
    codes = known_codes()
    d = parse(SOURCE)
    lines = []
    seen = set()
    for block in d.blocks:
        # The bare verbs: every verb of the block but the generic ones, which only carry the
        # block's patterns.
        bare_verbs = [v for v in block["verbs"] if words(v[0])[0] and
                      words(v[0])[0][words(v[0])[1]] not in GENERIC_VERBS]
        for before, alts, after in verb_element(bare_verbs):
            verb = " ".join(before + ["*" + "/".join(alts)] + after)
            bare = block["code"]
            own_codes = {c for _, _, c in bare_verbs if c}
            for code in [bare] + sorted(own_codes - {bare}):
                code = code.split(":")[0]
                if code in ("---", "") or code in SKIP_BARE_CODES:
                    d.skipped["null-coded or plain-statement bare verb"] += 1
                    continue
                if code not in codes:
                    d.skipped["code not in the CAMEO table"] += 1
                    continue
                add(lines, seen, code, verb)
        for before, alts, after in verb_element(block["verbs"]):
            verb = " ".join(before + ["*" + "/".join(alts)] + after)
            for text, code in block["patterns"]:
                code = code.split(":")[0]
                if code in ("---", ""):
                    d.skipped["null-coded pattern"] += 1
                    continue
                if code not in codes:
                    d.skipped["code not in the CAMEO table"] += 1
                    continue
                elements = convert_pattern(text, d.synsets, d.skipped)
                if elements is None:
                    continue
                elements = [verb if e == "*" else e for e in elements]
                add(lines, seen, code, " ~ ".join(elements))
    with open(OUT, "w", encoding="utf-8") as f:
        f.write("# GENERATED by data/dictionaries/tools/make_verbs.py from PETRARCH2's CAMEO.2.0.txt\n")
        f.write("# (github.com/openeventdata/petrarch2 @676801c; MIT License, Copyright (c) 2015\n")
        f.write("# Open Event Data Alliance: LICENSE.petrarch2.txt). Do not edit: put your own\n")
        f.write("# patterns in verbs.txt, which is read first and holds dyad's hand-written ones.\n")
        f.write(f"# {len(lines)} patterns. Left out:\n")
        for what, n in sorted(d.skipped.items()):
            f.write(f"#   {n} {what}\n")
        for code, pattern in lines:
            f.write(f"{code} | {pattern}\n")
    print(f"wrote {len(lines)} patterns to {os.path.relpath(OUT)}", file=sys.stderr)


def add(lines, seen, code, pattern):
    key = (code, pattern)
    if key not in seen:
        seen.add(key)
        lines.append(key)


if __name__ == "__main__":
    main()
