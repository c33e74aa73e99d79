"""Languages as data: one vocabulary table per language (``bot/data/lang/<code>.yml``).

The tables hold the words the assistant reads (question words, day names, kinds of session)
and the sentences it writes, so adding a language means adding a file, not code. Dates in
answers ("fredag 4. desember", "kl. 10:10") come from the same tables.
"""

from __future__ import annotations

from datetime import date
from functools import cache
from importlib import resources
from typing import Any

import yaml

DEFAULT = "en"
LANGUAGES = ("en", "nb")
# Slack's locales that mean "answer in Norwegian bokmål" (nynorsk readers read bokmål too).
LOCALES = {"nb-no": "nb", "nn-no": "nb", "no-no": "nb", "nb": "nb", "nn": "nb", "no": "nb"}


class _WordsLoader(yaml.SafeLoader):
    """YAML without YAML 1.1's booleans: "on", "no" and "off" are words here, not True and False."""


_WordsLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@cache
def table(code: str) -> dict[str, Any]:
    """The vocabulary table of ``code`` (English for a language we don't have)."""
    code = code if code in LANGUAGES else DEFAULT
    text = resources.files("bot").joinpath("data", "lang", f"{code}.yml").read_text(encoding="utf-8")
    return yaml.load(text, Loader=_WordsLoader)  # noqa: S506 - a safe loader


def from_locale(locale: str | None) -> str:
    """The answer language for a platform locale such as Slack's ``nb-NO``; English otherwise."""
    return LOCALES.get((locale or "").strip().casefold().replace("_", "-"), DEFAULT)


def say(code: str, key: str, **values: Any) -> str:
    """A sentence from the table, filled in."""
    return table(code)["say"][key].format(**values)


def short_day(day: date, code: str = DEFAULT) -> str:
    """ "Thu 3 Dec" or "tor. 3. des."."""
    words = table(code)["say"]
    return words["short_day"].format(
        weekday_short=words["weekday_short"][day.weekday()], day=day.day, month_short=words["month_short"][day.month - 1]
    )


def long_day(day: date, code: str = DEFAULT) -> str:
    """ "Thursday 3 December" or "torsdag 3. desember"."""
    words = table(code)["say"]
    return words["long_day"].format(
        weekday=words["weekday"][day.weekday()], day=day.day, month=words["month"][day.month - 1]
    )


def day_n(number: int, code: str = DEFAULT) -> str:
    """ "Day 2" or "Dag 2"."""
    return table(code)["say"]["day_n"].format(n=number)


def at_time(clock_text: str, code: str = DEFAULT) -> str:
    """ "at 10:10" or "kl. 10:10"."""
    return table(code)["say"]["at_time"].format(time=clock_text)


def number(value: int, code: str = DEFAULT) -> str:
    """ "12,800" or "12 800" (Norwegian groups thousands with a no-break space)."""
    text = f"{value:,}"
    return text.replace(",", "\u00a0") if code == "nb" else text


def of_person(profile: Any) -> str:
    """The language to write to a person in: their platform setting or the one from their registration."""
    return from_locale(getattr(profile, "locale", "") or "")
