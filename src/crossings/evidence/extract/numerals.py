"""Numbers in English text: digits, words, scales, percentages, ranges, qualifiers.

Every mention keeps its character span. Vague quantities ("hundreds",
"dozens", "thousands", "tens of thousands", "a handful", "several hundred")
are not numbers here: they are never matched, so they never become claims.
"One" on its own is skipped too (it is mostly a pronoun: "one of them");
"one hundred", "one thousand" and so on are numbers.

Broadcast and transcript forms join digits, scale words and words with
hyphens: "65-thousand" (65,000), "34-thousand-259" (34,259),
"30-thousand-five" (30,005), "one-thousand-137" (1,137), "12-hundred"
(1,200), "12-point-seven percent" (12.7 %). A number written straight after
a closing bracket or a letter ("(as of June)99", a table flattened into
"20091,043") is a garble, not a number.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

__all__ = ["NumberMention", "find_numbers", "parse_number_words", "qualifier_before"]

_UNITS: Mapping[str, int] = MappingProxyType(
    {
        "zero": 0,
        "one": 1,
        "two": 2,
        "three": 3,
        "four": 4,
        "five": 5,
        "six": 6,
        "seven": 7,
        "eight": 8,
        "nine": 9,
        "ten": 10,
        "eleven": 11,
        "twelve": 12,
        "thirteen": 13,
        "fourteen": 14,
        "fifteen": 15,
        "sixteen": 16,
        "seventeen": 17,
        "eighteen": 18,
        "nineteen": 19,
    }
)
_TENS: Mapping[str, int] = MappingProxyType(
    {
        "twenty": 20,
        "thirty": 30,
        "forty": 40,
        "fifty": 50,
        "sixty": 60,
        "seventy": 70,
        "eighty": 80,
        "ninety": 90,
    }
)
_SCALES: Mapping[str, int] = MappingProxyType(
    {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}
)
_SMALL = "|".join(sorted([*_UNITS, *_TENS], key=len, reverse=True))
_WORD = rf"(?:{_SMALL}|hundred|thousand|million|billion)"
_WORD_NUMBER = re.compile(
    rf"\b(?:(?:a|one)\s+(?:dozen|hundred|thousand|million)\b(?:(?:\s+and\s+|\s+|-){_WORD}\b)*"
    rf"|(?:{_SMALL})\b(?:(?:\s+and\s+|\s+|-){_WORD}\b)*)",
    re.IGNORECASE,
)
_DIGITS = re.compile(
    r"(?<![\w.,/#$£€¥₩)\]])(?<![A-Za-z]-)(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(?![\w]|[.,/:]\d)"
    r"(?:\s*(million|billion|thousand|mn|bn)\b)?",
    re.IGNORECASE,
)
LONGEST_BARE_NUMBER = 9
"""Longest run of digits without separators read as a number; longer runs are identifiers."""

# a year glued to its count in a flattened table row: "2020229 202163 2023196"
_GLUED_YEAR = re.compile(r"(?<![\d,.])(?:19[5-9]\d|20[0-4]\d)(?:\d{1,4}|\d{1,3},\d{3})(?![\d,])")


def _glued_year_runs(text: str, start: int, stop: int) -> set[int]:
    """Starts of year-and-count runs on lines that hold two or more of them.

    Args:
        text: Document text.
        start: Where to look from.
        stop: Where to stop.

    Returns:
        Offsets of the runs that are no number.
    """
    out: set[int] = set()
    by_line: dict[int, list[int]] = {}
    for m in _GLUED_YEAR.finditer(text, start, stop):
        by_line.setdefault(text.rfind("\n", 0, m.start()), []).append(m.start())
    for starts in by_line.values():
        if len(starts) >= 2:
            out.update(starts)
    return out


_DIGIT_WORDS: Mapping[str, str] = MappingProxyType(
    {
        "zero": "0",
        "oh": "0",
        "one": "1",
        "two": "2",
        "three": "3",
        "four": "4",
        "five": "5",
        "six": "6",
        "seven": "7",
        "eight": "8",
        "nine": "9",
    }
)
_LEAD = rf"(?:\d{{1,3}}|(?:{_SMALL})(?:-(?:{_SMALL}))?)"
# "terms of one to seven years", "between one and three months": "one" as a range's low end
_ONE_IN_RANGE = re.compile(
    r"\s*(?:to|and|or|-|–)\s*(?:[a-z]+(?:-[a-z]+)?|\d{1,3})\s+(?:years?|months?|weeks?|days?)\b",
    re.IGNORECASE,
)
# "65-thousand", "34-thousand-259", "one-thousand-137", "12-hundred", "12-point-seven"
_HYPHEN_NUMBER = re.compile(
    rf"(?<![\w.,/#$£€¥₩)\]-])(?P<lead>{_LEAD})"
    rf"(?:-point-(?P<frac>\d+|(?:{'|'.join(_DIGIT_WORDS)})(?:-(?:{'|'.join(_DIGIT_WORDS)}))*)"
    r"(?:[-\s](?P<scale1>hundred|thousand|million|billion)\b)?"
    r"|-(?P<scale>hundred|thousand|million|billion)"
    rf"(?:-(?P<rest>\d{{1,3}}|(?:{_SMALL})(?:-(?:{_SMALL}))?(?:-hundred(?:-(?:and-)?(?:{_SMALL})"
    rf"(?:-(?:{_SMALL}))?)?)?))?)\b(?!-\w)",
    re.IGNORECASE,
)
_PERCENT = re.compile(r"\s*(?:%|per\s?cent\b|pct\b|percentage\s+points?\b)", re.IGNORECASE)

_QUALIFIERS: tuple[tuple[str, str], ...] = (
    (r"no\s+(?:fewer|less)\s+than|at\s+least|a\s+minimum\s+of|not\s+less\s+than", "at least"),
    (r"(?:just\s+|slightly\s+)?(?:fewer|less)\s+than|under|below", "fewer than"),
    (
        r"nearly|almost|close\s+to|just\s+(?:under|below|short\s+of|shy\s+of)"
        r"|approaching",
        "nearly",
    ),
    (r"up\s+to|as\s+many\s+as|as\s+much\s+as|at\s+most|a\s+maximum\s+of|no\s+more\s+than", "up to"),
    (
        r"(?:well\s+|just\s+|slightly\s+|far\s+)?(?:more\s+than|over|above|in\s+excess\s+of"
        r"|upwards\s+of|exceeding|exceeded|exceeds|topped|tops|surpassed|surpasses|north\s+of"
        r"|passed\s+the)",
        "over",
    ),
    (
        r"about|around|approximately|approx\.?|roughly|some|an\s+estimated|estimated|circa|c\."
        r"|an\s+approximate|or\s+so",
        "about",
    ),
)
_QUALIFIER_BEFORE = re.compile(
    r"(?:^|\W)("
    + "|".join(f"(?P<q{i}>{pat})" for i, (pat, _) in enumerate(_QUALIFIERS))
    + r")\s+(?:[*_]{1,2})?$",
    re.IGNORECASE,
)
_QUALIFIER_AFTER = re.compile(r"^(?:\s+or\s+more\b|\s*-?plus\b|\+|\s+or\s+so\b)", re.IGNORECASE)


@dataclass(frozen=True)
class NumberMention:
    """A number found in the text.

    Attributes:
        start: Offset of the first character of the number phrase.
        end: End offset of the number phrase (including scale and percent).
        value: The number (a percentage as written: 31 for "31%").
        percent: Whether it is a percentage.
        words: Whether it was written in words.
        integer_digits: For digit numbers: the digits without separators, if
            it is an integer written without a scale word; else ``""``.
    """

    start: int
    end: int
    value: float
    percent: bool
    words: bool
    integer_digits: str


def parse_number_words(phrase: str) -> float | None:
    """Parse an English number written in words.

    Args:
        phrase: For example "two thousand", "thirty-one", "a dozen",
            "one hundred and twenty".

    Returns:
        The value, or ``None`` when the words do not form one number
        ("two three").
    """
    tokens = [t for t in re.split(r"[\s-]+", phrase.lower()) if t and t != "and"]
    if not tokens:
        return None
    if tokens[0] == "a":
        tokens[0] = "one"
    total = 0
    current = 0
    last_small: str | None = None  # "unit", "tens" or None
    seen_any = False
    for tok in tokens:
        if tok == "dozen":
            current = (current or 1) * 12
            last_small = None
        elif tok in _UNITS:
            if last_small == "unit" or (last_small == "tens" and _UNITS[tok] >= 10):
                return None
            current += _UNITS[tok]
            last_small = "unit"
        elif tok in _TENS:
            if last_small is not None:
                return None
            current += _TENS[tok]
            last_small = "tens"
        elif tok == "hundred":
            if current == 0 or current >= 100:
                return None
            current *= 100
            last_small = None
        elif tok in _SCALES:
            if current == 0:
                return None
            total += current * _SCALES[tok]
            current = 0
            last_small = None
        else:
            return None
        seen_any = True
    if not seen_any:
        return None
    return float(total + current)


def _small_value(token: str) -> int | None:
    """Value of "65", "sixty-five" or "two-hundred-and-five" (below 1,000).

    Args:
        token: Digits or number words joined by hyphens.

    Returns:
        The value, or ``None``.
    """
    if token.isdigit():
        return int(token)
    value = parse_number_words(token.replace("-", " "))
    return int(value) if value is not None and value < 1000 else None


def _hyphen_value(m: re.Match[str]) -> float | None:
    """Value of a hyphenated broadcast form (see :data:`_HYPHEN_NUMBER`).

    Args:
        m: The match.

    Returns:
        The value, or ``None`` when the parts do not form one number.
    """
    lead = _small_value(m.group("lead"))
    if lead is None:
        return None
    frac = m.group("frac")
    if frac is not None:
        digits = "".join(_DIGIT_WORDS.get(t.lower(), t) for t in frac.split("-"))
        value = float(f"{lead}.{digits}")
        scale = m.group("scale1")
        return value * _SCALES[scale.lower()] if scale else value
    scale_word = m.group("scale")
    if scale_word is None:
        return None
    total = lead * _SCALES[scale_word.lower()]
    rest = m.group("rest")
    if rest:
        add = _small_value(rest)
        if add is None or add >= _SCALES[scale_word.lower()]:
            return None
        total += add
    return float(total)


def qualifier_before(prefix: str) -> tuple[str, int] | None:
    """Find a qualifier that ends right before a number.

    Args:
        prefix: The text before the number (same sentence).

    Returns:
        ``(qualifier, offset of the qualifier in prefix)`` or ``None``.
    """
    m = _QUALIFIER_BEFORE.search(prefix[-40:])
    if not m:
        return None
    for i, (_pat, qual) in enumerate(_QUALIFIERS):
        if m.group(f"q{i}"):
            return qual, len(prefix) - len(prefix[-40:]) + m.start(1)
    return None  # pragma: no cover - one group always matches


def qualifier_after(suffix: str) -> str | None:
    """Find a qualifier right after a number ("or more", "-plus", "or so").

    Args:
        suffix: The text after the number.

    Returns:
        The qualifier or ``None``.
    """
    m = _QUALIFIER_AFTER.match(suffix)
    if not m:
        return None
    return "about" if "so" in m.group(0).lower() else "over"


def _scale(word: str | None) -> int:
    """Multiplier of a scale word after digits.

    Args:
        word: "million", "bn", ... or ``None``.

    Returns:
        The multiplier (1 without a scale word).
    """
    if not word:
        return 1
    w = word.lower()
    if w in ("million", "mn"):
        return 1_000_000
    if w in ("billion", "bn"):
        return 1_000_000_000
    return 1_000


def find_numbers(text: str, start: int = 0, end: int | None = None) -> list[NumberMention]:
    """Find all numbers in ``text[start:end]``.

    Args:
        text: The document text.
        start: Where to start looking.
        end: Where to stop (default: end of text).

    Returns:
        Number mentions in text order, never overlapping.
    """
    stop = len(text) if end is None else end
    found: list[NumberMention] = []
    for m in _HYPHEN_NUMBER.finditer(text, start, stop):
        value_h = _hyphen_value(m)
        if value_h is None:
            continue
        n_end = m.end()
        pm = _PERCENT.match(text, n_end, stop)
        if pm:
            n_end = pm.end()
        found.append(NumberMention(m.start(), n_end, value_h, bool(pm), True, ""))
    glued = _glued_year_runs(text, start, stop)
    for m in _DIGITS.finditer(text, start, stop):
        whole, frac, scale_word = m.group(1), m.group(2), m.group(3)
        if m.start(1) in glued and not frac:
            continue  # "Year Persons 20191,047 2020229 202163": a flattened table
        if "," in whole and not re.fullmatch(r"\d{1,3}(?:,\d{3})+", whole):
            continue
        if len(whole) >= LONGEST_BARE_NUMBER + 1 and not frac:
            continue  # "2023011916052081", "Article No. 20240517000123": an identifier
        value = float(whole.replace(",", "") + (frac or "")) * _scale(scale_word)
        n_end = m.end()
        pm = _PERCENT.match(text, n_end, stop)
        percent = bool(pm)
        if pm:
            n_end = pm.end()
        digits = whole.replace(",", "") if not frac and not scale_word else ""
        found.append(NumberMention(m.start(), n_end, value, percent, False, digits))
    for m in _WORD_NUMBER.finditer(text, start, stop):
        phrase = m.group(0)
        if phrase.lower() == "one" and not _ONE_IN_RANGE.match(text, m.end(), stop):
            continue  # a pronoun ("one of them"), unless a range's low end ("one to seven years")
        value_w = parse_number_words(phrase)
        if value_w is None:
            continue
        n_end = m.end()
        pm = _PERCENT.match(text, n_end, stop)
        if pm:
            n_end = pm.end()
        found.append(NumberMention(m.start(), n_end, value_w, bool(pm), True, ""))
    found.sort(key=lambda n: (n.start, -n.end))
    out: list[NumberMention] = []
    for n in found:
        if out and n.start < out[-1].end:
            continue
        out.append(n)
    return out
