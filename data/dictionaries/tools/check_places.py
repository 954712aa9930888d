#!/usr/bin/env python3
"""Check the gazetteer data/dictionaries/places.txt against its format and countries.txt.

Usage: check_places.py [DICTIONARY_DIR] [--quiet]

Line format (after `#` comments are stripped):  Name | CODE | PRECISION | aliases

Errors (exit status 1):
  - not exactly 4 `|`-separated fields, an empty name, an empty alias between commas;
  - CODE not a country code of countries.txt; PRECISION not `city` or `admin1`;
  - a phrase with a control character or stray surrounding whitespace, or non-UTF-8 bytes;
  - a name or alias given twice in places.txt (case-insensitive, roughly as the loader
    tokenises it), also within one line;
  - a name or alias that countries.txt already has as a country name, alias or seat.
Warnings (exit status 0):
  - a phrase equal to a countries.txt phrase once accents are removed ("Córdoba" vs "Cordoba");
  - an alias of 1-2 letters.
Prints the number of places per precision and per country. Standard library only.
"""

import argparse
import collections
import os
import sys
import unicodedata

PRECISIONS = ("city", "admin1")


def key(phrase):
    """Rough version of the loader's token key: words in lower case; a hyphen between two
    capitalised parts ("Nagorno-Karabakh") splits the word, one after a small letter not."""
    tokens = []
    for word in phrase.split():
        parts = word.split("-")
        current = parts[0]
        for part in parts[1:]:
            if current[:1].isupper() and part[:1].isupper():
                tokens += [current, "-"]
                current = part
            else:
                current += "-" + part
        tokens.append(current)
    return " ".join(t.lower() for t in tokens)


def folded(phrase):
    """key() without accents: "São Paulo" -> "sao paulo"."""
    decomposed = unicodedata.normalize("NFKD", key(phrase))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def read_lines(path):
    """Yields (line number, text without comment). Raises UnicodeDecodeError on bad bytes."""
    with open(path, "rb") as f:
        data = f.read()
    text = data.decode("utf-8")
    for number, raw in enumerate(text.split("\n"), 1):
        yield number, raw.rstrip("\r").split("#", 1)[0]


def country_phrases(path):
    """Returns (codes, {key: (line, phrase)}) of countries.txt (names, aliases and seats)."""
    codes = set()
    phrases = {}
    for number, line in read_lines(path):
        if not line.strip():
            continue
        fields = [x.strip() for x in line.split("|")]
        codes.add(fields[0])
        for field in fields[1:4]:
            for p in field.split(","):
                p = p.strip()
                if p:
                    phrases.setdefault(key(p), (number, p))
    return codes, phrases


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dir", nargs="?", default=os.path.join(os.path.dirname(__file__), ".."))
    ap.add_argument("--quiet", action="store_true", help="print errors and the totals only")
    args = ap.parse_args()
    places_path = os.path.join(args.dir, "places.txt")
    countries_path = os.path.join(args.dir, "countries.txt")

    errors = 0
    warnings = 0

    def err(where, msg):
        nonlocal errors
        errors += 1
        print(f"error: {where}: {msg}", file=sys.stderr)

    def warn(where, msg):
        nonlocal warnings
        warnings += 1
        print(f"warning: {where}: {msg}", file=sys.stderr)

    try:
        current = countries_path
        codes, known = country_phrases(countries_path)
        current = places_path
        lines = list(read_lines(places_path))
    except (OSError, UnicodeDecodeError) as e:
        print(f"error: {current}: {e}", file=sys.stderr)
        return 1
    known_folded = {folded(p): (n, p) for _, (n, p) in known.items()}

    seen = {}  # key -> (line, phrase)
    per_country = collections.Counter()
    per_precision = collections.Counter()
    per_country_precision = collections.Counter()
    for number, line in lines:
        if not line.strip():
            continue
        where = f"places.txt:{number}"
        fields = [x.strip() for x in line.split("|")]
        if len(fields) != 4:
            err(where, f'{len(fields)} fields, want 4 "Name | CODE | PRECISION | aliases" '
                f'(in "{line.strip()}")')
            continue
        name, code, precision, alias_field = fields
        if not name:
            err(where, "empty name")
            continue
        if code not in codes:
            err(where, f'country code "{code}" is not in countries.txt')
        if precision not in PRECISIONS:
            err(where, f'precision "{precision}" is not one of {", ".join(PRECISIONS)}')
        aliases = [a.strip() for a in alias_field.split(",")] if alias_field else []
        if any(not a for a in aliases):
            err(where, "empty alias (two commas in a row or a trailing comma)")
        for phrase in [name] + [a for a in aliases if a]:
            if any(unicodedata.category(c).startswith("C") for c in phrase):
                err(where, f'control character in "{phrase!r}"')
                continue
            if " " * 2 in phrase:
                err(where, f'double space in "{phrase}"')
            k = key(phrase)
            if k in seen:
                err(where, f'"{phrase}" already given at line {seen[k][0]} ("{seen[k][1]}")')
            else:
                seen[k] = (number, phrase)
            if k in known:
                err(where, f'"{phrase}" is already in countries.txt (line {known[k][0]}: '
                    f'"{known[k][1]}")')
            elif folded(phrase) in known_folded:
                n, p = known_folded[folded(phrase)]
                warn(where, f'"{phrase}" equals countries.txt "{p}" (line {n}) without accents')
            if phrase is not name and len(phrase) <= 2:
                warn(where, f'very short alias "{phrase}"')
        per_country[code] += 1
        per_precision[precision] += 1
        per_country_precision[(code, precision)] += 1

    total = sum(per_country.values())
    print(f"places: {total} ({', '.join(f'{p} {per_precision[p]}' for p in PRECISIONS)}), "
          f"phrases {len(seen)}, countries {len(per_country)}")
    if not args.quiet:
        for code in sorted(per_country):
            parts = ", ".join(f"{p} {per_country_precision[(code, p)]}" for p in PRECISIONS
                              if per_country_precision[(code, p)])
            print(f"  {code} {per_country[code]:4d}  ({parts})")
    print(f"{errors} error(s), {warnings} warning(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
