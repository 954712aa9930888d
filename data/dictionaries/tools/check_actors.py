#!/usr/bin/env python3
"""Check the people dictionaries (actors.txt and actors.<part>.txt) beyond what the loader checks.

Usage: check_actors.py [DICTIONARY_DIR] [--today YYYY-MM-DD]

Errors (exit status 1):
  - a line that is not `Name | aliases | roles`, a bad role code or date, a range ending before
    it starts, a code whose country/IGO prefix is not in countries.txt or igos.txt;
  - a name or alias (case-insensitive, as the loader tokenises it roughly) given to two people;
  - two dated roles of one person that overlap;
  - a dated role after the person's default role (never reached).
Warnings:
  - a one-word alias that is a common surname never to be used alone (Khan, Singh, Kim, Lee, Ali,
    Sharif, ...) or a country name/alias from countries.txt;
  - a date after --today;
  - more than --max-heads people holding <CTY>GOV with an open end (a hint that a term was not
    closed when a successor was added).
Standard library only.
"""

import argparse
import datetime
import os
import re
import sys

NEVER_ALONE = {"khan", "singh", "kim", "lee", "ali", "sharif", "park", "mohammed", "mohamed",
               "muhammad", "abdullah", "hassan", "hussein", "al", "bin", "sheikh"}
DATE_RE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def bound(text, end):
    """Parses YYYY, YYYY-MM or YYYY-MM-DD; a start means the first day, an end the last."""
    m = DATE_RE.match(text)
    if not m:
        raise ValueError(f'bad date "{text}"')
    y = int(m.group(1))
    mo = int(m.group(2)) if m.group(2) else None
    d = int(m.group(3)) if m.group(3) else None
    if mo is None:
        return datetime.date(y, 12, 31) if end else datetime.date(y, 1, 1)
    if d is None:
        if not end:
            return datetime.date(y, mo, 1)
        nxt = datetime.date(y + (mo == 12), mo % 12 + 1, 1)
        return nxt - datetime.timedelta(days=1)
    return datetime.date(y, mo, d)


def key(phrase):
    """Rough version of the loader's token key: words in lower case; a hyphen between two
    capitalised parts ("Al-Zayani") splits the word, one after a small letter ("al-Zayani") not."""
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


def codes_from(path, keyed_by_first_field=True):
    codes = set()
    names = set()
    with open(path, encoding="utf-8") as f:
        for raw in f:
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            fields = [x.strip() for x in line.split("|")]
            codes.add(fields[0])
            for field in fields[1:3]:
                for n in field.split(","):
                    if n.strip():
                        names.add(n.strip().lower())
    return codes, names


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dir", nargs="?", default=os.path.join(os.path.dirname(__file__), ".."))
    ap.add_argument("--today", default=datetime.date.today().isoformat())
    ap.add_argument("--max-heads", type=int, default=0,
                    help="warn when a country has more open GOV roles than this (0: off)")
    args = ap.parse_args()
    today = bound(args.today, False)

    countries, country_names = codes_from(os.path.join(args.dir, "countries.txt"))
    igos, _ = codes_from(os.path.join(args.dir, "igos.txt"))

    def known(code):
        return any(code.startswith(c) for c in countries | igos)

    files = [os.path.join(args.dir, "actors.txt")] + sorted(
        os.path.join(args.dir, f) for f in os.listdir(args.dir)
        if f.startswith("actors.") and f.endswith(".txt") and f != "actors.txt" and len(f) > 11)

    errors = warnings = people = roles_total = 0
    seen = {}
    open_gov = {}

    def err(where, msg):
        nonlocal errors
        errors += 1
        print(f"{where}: error: {msg}")

    def warn(where, msg):
        nonlocal warnings
        warnings += 1
        print(f"{where}: warning: {msg}")

    for path in files:
        with open(path, encoding="utf-8") as f:
            for number, raw in enumerate(f, 1):
                line = raw.split("#", 1)[0].strip()
                if not line:
                    continue
                where = f"{os.path.basename(path)}:{number}"
                fields = [x.strip() for x in line.split("|")]
                if len(fields) != 3 or not fields[0]:
                    err(where, "expected Name | aliases | roles")
                    continue
                people += 1
                name, aliases, roles = fields
                for phrase in [name] + [a.strip() for a in aliases.split(",") if a.strip()]:
                    k = key(phrase)
                    if k in seen:
                        err(where, f'"{phrase}" already names someone at {seen[k]}')
                    else:
                        seen[k] = where
                    if phrase is not name and " " not in phrase:
                        if phrase.lower() in NEVER_ALONE:
                            warn(where, f'alias "{phrase}" is a name never to be used alone')
                        elif phrase.lower() in country_names:
                            warn(where, f'alias "{phrase}" is also a country name or alias')
                dated = []
                default_seen = False
                for role in [r.strip() for r in roles.split(";") if r.strip()]:
                    roles_total += 1
                    parts = role.split()
                    code = parts[0]
                    if not re.fullmatch(r"[A-Z0-9]{3,}", code) or not known(code):
                        err(where, f'bad actor code "{code}"')
                    if len(parts) == 1:
                        default_seen = True
                        continue
                    if len(parts) != 2 or ".." not in parts[1]:
                        err(where, f'bad role "{role}"')
                        continue
                    if default_seen:
                        err(where, f'dated role "{role}" after the default is never reached')
                    lo_text, hi_text = parts[1].split("..", 1)
                    try:
                        lo = bound(lo_text, False) if lo_text else datetime.date.min
                        hi = bound(hi_text, True) if hi_text else datetime.date.max
                    except ValueError as e:
                        err(where, str(e))
                        continue
                    if lo > hi:
                        err(where, f'range "{parts[1]}" ends before it starts')
                    for d in (lo, hi):
                        if d not in (datetime.date.min, datetime.date.max) and d > today:
                            warn(where, f"date {d} is after {today}")
                    for code2, lo2, hi2 in dated:
                        # One day of overlap is how hand-overs are often written; more is a slip.
                        if lo <= hi2 and lo2 <= hi and (min(hi, hi2) - max(lo, lo2)).days > 1:
                            err(where, f"{code} {parts[1]} overlaps an earlier role {code2}")
                    dated.append((code, lo, hi))
                    if code.endswith("GOV") and not hi_text:
                        open_gov.setdefault(code, []).append(name)

    if args.max_heads:
        for code, names in sorted(open_gov.items()):
            if len(names) > args.max_heads:
                warn(code, f"{len(names)} open-ended roles: {', '.join(names)}")
    print(f"{len(files)} files, {people} people, {roles_total} roles, "
          f"{errors} errors, {warnings} warnings")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
