"""Writes registrations.csv: a fictional registration export shaped like a real one from a Norwegian
registration system opened and saved in Excel (see SOURCES.md). Run from the repository root:

    python tests/data/people/make_registrations.py

Deterministic (a fixed seed), so the file only changes when this script does.
"""

from __future__ import annotations

import random
from pathlib import Path

FIRST = [
    "Åse",
    "Bjørn",
    "Kjærsti",
    "Øystein",
    "Ingrid",
    "Håkon",
    "Sølvi",
    "Ola",
    "Kari",
    "Jørgen",
    "Marte",
    "Ærlig",
    "Siv",
    "Trond",
    "Linnéa",
    "Henrik",
    "Eirik",
    "Tuva",
    "Sander",
    "Ragnhild",
    "Maja",
    "Even",
    "Frøydis",
    "Aksel",
]
LAST = [
    "Bjørnstad",
    "Løvås",
    "Ødegård",
    "Hansen",
    "Aasen",
    "Strøm",
    "Kjær",
    "Nilsen",
    "Brække",
    "Sæther",
    "Dahl",
    "Lie",
    "Grønli",
    "Haugen",
    "Moe",
    "Østby",
    "Vik",
    "Rønning",
    "Fjeld",
    "Berg",
]
ORGS = [
    "Fjordlab AS",
    "Nordlys Biotech",
    "Blåbær Bio ASA",
    "Oslo universitetssykehus",
    "Universitetet i Bergen",
    "Kveik Ventures",
    "Roche Norge AS",
    "Trøndelag Pharma",
    "Havbris Diagnostics",
    "Polar Capital Partners",
]
TYPES = [
    "Biotech",
    "biotech",
    "Oppstartsselskap",
    "Start-up",
    "Legemiddelindustri",
    "Pharma",
    "Sykehus",
    "Universitet",
    "Investor",
    "VC",
    "Annet",
    "Academia",
    "",
]
OFFERS = [
    "TCR-plattform for solide svulster",
    "Antibody discovery, CMC support",
    "Klinisk studieenhet, fase I",
    "Seed og serie A-kapital",
    "Radioligand-terapi, lisensiering",
    "Biobank med 40 000 prøver",
]
SEEKS = [
    "Partner for fase 1",
    "Investors for series A",
    "Lisenspartner i Europa",
    "Samarbeid om biomarkører",
    "Co-development partner",
    "Tidlige prosjekter innen onkologi",
]
INTERESTS = ["immunterapi", "oncology", "ADC", "radiofarmasi", "biomarkører", "AI", "cell therapy", "diagnostikk"]
BLOCKS = [
    "",
    "",
    "46360",
    "Dag 1 formiddag",
    "day 1 afternoon; day 2 morning",
    "2026-12-04",
    "d1-partnering-morning",
    "Dag 2",
    "dag 1 formiddag, dag 2 ettermiddag",
]
HEADER = [
    "Fornavn",
    "Etternavn ",
    "E-post",
    "Organisasjon",
    "Type organisasjon",
    "Stilling",
    "Vi tilbyr",
    "Vi søker",
    "Interesser",
    "Tilgjengelig",
    "Språk",
    "Registrert",
    "Kommentar",
]


def rows(count: int = 200) -> list[list[str]]:
    rng = random.Random(18)
    out = []
    for n in range(count):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        user = f"{first}.{last}.{n}".lower().replace("å", "a").replace("ø", "o").replace("æ", "ae").replace("é", "e")
        email = f"{user}@example.no"
        email = email.upper() if n % 7 == 0 else (email.title() if n % 5 == 0 else email)
        out.append([
            first + (" " if n % 3 == 0 else ""), last + ("  " if n % 4 == 0 else ""), email + (" " if n % 6 == 0 else ""),
            rng.choice(ORGS), rng.choice(TYPES), rng.choice(["CEO", "Daglig leder", "Head of BD", "Forsker", "Partner"]),
            rng.choice(OFFERS), rng.choice(SEEKS), "; ".join(rng.sample(INTERESTS, 3)), rng.choice(BLOCKS),
            rng.choice(["nb", "en", "Norsk", "English", ""]), str(46300 + n % 60),  # Excel serial dates: Oct-Dec 2026
            rng.choice(["", "Vegetar", "Kommer sent, dag 1", "Ring meg; takk"]),
        ])  # fmt: skip
    # What real exports also contain: one problem of each kind, on rows 202-206.
    out.append(["", "", "", "", "", "", "", "", "", "", "", "46359", "avmeldt"])  # an empty name and email
    out.append(
        ["Per", "Uten Epost", "per.uten.epost(at)example.no", "Fjordlab AS", "Biotech", "", "", "", "", "", "", "46359", ""]
    )
    out.append(
        ["Dobbel", "Påmelding", out[1][2].strip().lower(), "Nordlys Biotech", "Biotech", "", "", "", "", "", "", "46359", ""]
    )
    out.append(["Ukjent", "Type", "ukjent.type@example.no", "Mystisk AS", "Romfart", "", "", "", "", "", "", "46359", ""])
    out.append(
        [
            "Feil",
            "Blokk",
            "feil.blokk@example.no",
            "Fjordlab AS",
            "Biotech",
            "",
            "",
            "",
            "",
            "dag 9 formiddag",
            "",
            "46359",
            "",
        ]
    )
    return out


def write(path: Path) -> None:
    lines = [";".join(HEADER)] + [";".join(f'"{c}"' if ";" in c or "," in c else c for c in row) for row in rows()]
    path.write_bytes(b"\xef\xbb\xbf" + ("\r\n".join(lines) + "\r\n").encode("utf-8"))


if __name__ == "__main__":
    write(Path(__file__).with_name("registrations.csv"))
