#!/usr/bin/env python3
"""Derives data/dictionaries/countries.txt from the shared reference data.

Names and aliases come from PETRARCH2's Phoenix.Countries.actors.txt (MIT, Open Event Data
Alliance; see data/dictionaries/README.md): the primary phrase of each country block and its `+`
synonyms. Seats of power (capitals, "White House", ...) are the hand-written SEATS table below.
Run from the repository root:  python3 data/dictionaries/tools/make_countries.py
"""
import csv
import os
import re
import sys

SHARED = os.environ.get("DYAD_SHARED_DIR", os.path.join(os.path.dirname(__file__), "../../../../shared"))
REF = os.path.join(SHARED, "reference")
OUT = os.path.join(os.path.dirname(__file__), "..", "countries.txt")

# Capitals and seats of power: used as actors (country + GOV, metonymy: "Islamabad said") and as
# places (CITY precision). Hand-written; extend freely.
SEATS = {
    "AFG": ["Kabul"], "ARE": ["Abu Dhabi"], "ARG": ["Buenos Aires", "Casa Rosada"],
    "ARM": ["Yerevan"], "AUS": ["Canberra"], "AUT": ["Vienna"], "AZE": ["Baku"],
    "BGD": ["Dhaka"], "BLR": ["Minsk"], "BRA": ["Brasilia", "Planalto"],
    "CAN": ["Ottawa"], "CHE": ["Bern"], "CHN": ["Beijing", "Zhongnanhai"], "COL": ["Bogota"],
    "CUB": ["Havana"], "DEU": ["Berlin"], "DNK": ["Copenhagen"], "DZA": ["Algiers"],
    "EGY": ["Cairo"], "ESP": ["Madrid"], "ETH": ["Addis Ababa"], "FIN": ["Helsinki"],
    "FRA": ["Paris", "Elysee", "Elysee Palace"], "GBR": ["London", "Downing Street", "Whitehall"],
    "GEO": ["Tbilisi"], "GRC": ["Athens"], "IDN": ["Jakarta"], "IND": ["New Delhi"],
    "IRN": ["Tehran"], "IRQ": ["Baghdad"], "ISR": ["Jerusalem"], "ITA": ["Rome"],
    "JOR": ["Amman"], "JPN": ["Tokyo"], "KAZ": ["Astana"], "KEN": ["Nairobi"],
    "KOR": ["Seoul"], "PRK": ["Pyongyang"], "KWT": ["Kuwait City"], "LBN": ["Beirut"],
    "LBY": ["Tripoli"], "LKA": ["Colombo"], "MEX": ["Mexico City"], "MMR": ["Naypyidaw"],
    "MYS": ["Kuala Lumpur"], "NGA": ["Abuja"], "NLD": ["The Hague", "Amsterdam"],
    "NOR": ["Oslo"], "NPL": ["Kathmandu"], "PAK": ["Islamabad"], "PHL": ["Manila"],
    "POL": ["Warsaw"], "PRT": ["Lisbon"], "QAT": ["Doha"], "ROU": ["Bucharest"],
    "RUS": ["Moscow", "Kremlin"], "SAU": ["Riyadh"], "SDN": ["Khartoum"], "SOM": ["Mogadishu"],
    "SRB": ["Belgrade"], "SWE": ["Stockholm"], "SYR": ["Damascus"], "THA": ["Bangkok"],
    "TUR": ["Ankara"], "TWN": ["Taipei"], "UKR": ["Kyiv", "Kiev"], "USA": ["Washington",
    "White House", "Washington D.C."], "VEN": ["Caracas"], "VNM": ["Hanoi"], "YEM": ["Sanaa"],
    "ZAF": ["Pretoria"], "PSE": ["Ramallah"], "ZWE": ["Harare"], "UZB": ["Tashkent"],
    "TKM": ["Ashgabat"], "TJK": ["Dushanbe"], "KGZ": ["Bishkek"], "BTN": ["Thimphu"],
    "MDV": ["Male"], "HUN": ["Budapest"], "CZE": ["Prague"], "IRL": ["Dublin"],
    "NZL": ["Wellington"], "CHL": ["Santiago"], "PER": ["Lima"], "MAR": ["Rabat"],
    "TUN": ["Tunis"], "OMN": ["Muscat"], "BHR": ["Manama"],
}
# Extra aliases the Phoenix file lacks or spells differently.
EXTRA = {
    "USA": ["United States", "US", "U.S.", "USA", "America", "American", "Americans"],
    "GBR": ["Britain", "UK", "U.K.", "British", "United Kingdom"],
    "PAK": ["Pakistani", "Pakistanis"],
    "IND": ["Indian", "Indians"],
    "CHN": ["Chinese"],
    "RUS": ["Russian", "Russians"],
}
SMALL = {"of", "the", "and", "de", "la", "el", "al", "du", "da", "des", "del", "e", "y", "an", "d'"}
# Phoenix synonyms that are not names of the country in English news (ambiguous words).
DROP = {"AMERICA_(COUNTRY)", "US_OF_A", "CHAD", "GUINEA"}


def title(phrase):
    words = []
    single = len(phrase.split()) == 1
    for w in phrase.split():
        lw = w.lower()
        if lw in SMALL and words:
            words.append(lw)
        elif "." in w or (single and len(w) <= 3 and w.isupper()):
            words.append(w)
        else:
            words.append("-".join(p[:1].upper() + p[1:].lower() for p in w.split("-")))
    return " ".join(words)


def main():
    codes = {}
    with open(os.path.join(REF, "countries", "cameo_country_codes.tsv"), encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            codes[row["code"]] = row["name"]
    aliases = {c: [] for c in codes}
    current = None
    path = os.path.join(REF, "petrarch2", "Phoenix.Countries.actors.txt")
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#") or line.startswith("\t"):
                continue
            m = re.match(r"^([^+\s][^\s]*)\s*\[([A-Z]{3})\]", line)
            if m and m.group(2) in codes:
                current = m.group(2)
                aliases[current].append(m.group(1))
                continue
            if line.startswith("+") and current:
                phrase = line[1:].split("#")[0].strip()
                aliases[current].append(phrase)
                continue
            current = None
    with open(OUT, "w", encoding="utf-8") as out:
        out.write("# Countries: CODE | name | other names, adjectives, demonyms | seats of power\n")
        out.write("# Generated by tools/make_countries.py from PETRARCH2 Phoenix.Countries.actors.txt\n")
        out.write("# (MIT, Copyright (c) 2014 Open Event Data Alliance) plus hand-written seats.\n")
        out.write("# Edit by hand or re-generate; format in README.md.\n\n")
        for code in sorted(codes):
            name = codes[code]
            seen = {name.lower()}
            names = []
            for a in EXTRA.get(code, []) + aliases[code]:
                a = a.strip().rstrip("_").strip()
                if not a or a in DROP or "(" in a or any(ch.isdigit() for ch in a):
                    continue
                a = title(a.replace("_", " ").strip())
                if "," in a or "|" in a or len(a.split()) > 5 or "\ufffd" in a or len(a) < 2:
                    continue
                if a.lower() in seen:
                    continue
                seen.add(a.lower())
                names.append(a)
            seats = [s for s in SEATS.get(code, [])]
            names = [n for n in names if n.lower() not in {s.lower() for s in seats}]
            out.write(f"{code} | {name} | {', '.join(names)} | {', '.join(seats)}\n")


if __name__ == "__main__":
    sys.exit(main())
