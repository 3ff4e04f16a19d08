"""Word lists: subject cues, head nouns, non-people units, sex words, trap contexts.

Subjects form a controlled vocabulary:

``arrived`` (reached / entered / resettled in South Korea), ``escaped``
(escaped, defected, fled, crossed the border), ``repatriated`` (forcibly
returned, sent back, deported, handed over), ``detained`` (detained, arrested,
caught, held), ``sentenced``, ``executed``, ``imprisoned`` (political prison
camps, kwanliso, kyohwaso, prisoners), ``trafficked``, ``died``, ``missing``,
``athletes`` (athletes, players, cheerleaders, delegation members),
``population`` (the people of a country: "a population of 25.7 million").

Two more cue subjects never make claims: ``other`` (emigration from South
Korea, asylum in other countries, re-entry to the North: "emigrated", "granted
asylum", "re-entered the North") outweighs every other cue so that such a
number is not taken for an escape or an arrival; ``none`` covers words that
look like a cue but are not one ("the death penalty", "until they die") and
is dropped.

The country knowledge of the cues (where arrivals arrive, the country left,
transit countries, what is crossed, places of imprisonment) is data:
``data/lexicon.yaml``.

Cue strength: 3 = a verb or event noun naming the subject ("arrived",
"repatriations"); 2 = a noun for people defined by the subject ("prisoners",
"athletes", "returnees") or a weak verb ("held"); 1 = "defectors",
"escapees", "refugees" (used only as a last resort).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

import yaml

__all__ = [
    "CAMP_WORDS",
    "GENERIC_PEOPLE",
    "NON_CLAIM_SUBJECTS",
    "NON_PEOPLE_UNITS",
    "OTHER_PEOPLE",
    "SUBJECTS",
    "Cue",
    "find_cues",
]

SUBJECTS: tuple[str, ...] = (
    "arrived",
    "escaped",
    "repatriated",
    "detained",
    "sentenced",
    "executed",
    "imprisoned",
    "trafficked",
    "died",
    "missing",
    "athletes",
    "population",
    "people",
)
#: Cue subjects that never make a claim (see the module docstring).
NON_CLAIM_SUBJECTS: frozenset[str] = frozenset({"other", "none"})


def _read_lexicon() -> dict[str, str]:
    """Read ``data/lexicon.yaml`` into one alternation per entry.

    Returns:
        Entry name -> ``(?:a|b|...)``.

    Raises:
        ValueError: When an entry is missing or empty.
    """
    raw = (
        resources.files("crossings.evidence.extract")
        .joinpath("data/lexicon.yaml")
        .read_text(encoding="utf-8")
    )
    data = yaml.safe_load(raw) or {}
    out: dict[str, str] = {}
    for key in ("destination", "origin", "transit", "crossing", "camp"):
        items = [str(x) for x in data.get(key) or ()]
        if not items:
            raise ValueError(f"lexicon.yaml: no entries for {key!r}")
        out[key] = "(?:" + "|".join(items) + ")"
    return out


_LEX = _read_lexicon()
_SK = _LEX["destination"]
_ORIGIN = _LEX["origin"]
_TRANSIT = _LEX["transit"]
_CROSSING = _LEX["crossing"]
_CAMP = _LEX["camp"]
#: Places of imprisonment, as one alternation (from ``data/lexicon.yaml``).
CAMP_WORDS = _CAMP

# (pattern, subject, strength)
_CUE_TABLE: tuple[tuple[str, str, int], ...] = (
    # never a claim: emigration, asylum elsewhere, re-entry to the North (outweighs the rest)
    (r"\bemigrat(?:e|es|ed|ing|ion)\b", "other", 4),
    (r"\bmoved\s+(?:on\s+)?(?:abroad|to\s+(?:a\s+)?(?:third|other)\s+countr(?:y|ies))", "other", 4),
    (
        r"\b(?:granted|given|received|won|sought|seeking|applied\s+for|claimed)\s+(?:political\s+)?"
        r"asylum\b|\basylum\s+(?:in|seekers?)\b",
        "other",
        4,
    ),
    (rf"\bre-?entered\s+{_ORIGIN}|\bre-?defect\w*|\bcrossed\s+back\s+into\s+{_ORIGIN}", "other", 4),
    # look like cues, are none
    (
        r"\bdeath\s+(?:penalty|penalties|sentences?|row)\b|\buntil\s+(?:they|he|she)\s+die\b"
        r"|\b(?:could|may|might|would|will|to)\s+die\b|\brisks?\s+(?:of\s+)?(?:death|dying)\b",
        "none",
        3,
    ),
    # arrived
    (
        rf"\b(?:defect(?:s|ed|ing)?|fled|flee(?:s|ing)?|escap(?:e|es|ed|ing))\s+"
        rf"(?:from\s+{_ORIGIN}\s+)?to\s+{_SK}",
        "arrived",
        3,
    ),
    (
        rf"\b(?:came|come|comes|coming|arriv(?:e|es|ed|ing)|entered|fled)\s+directly\s+from\s+"
        rf"{_ORIGIN}",
        "arrived",
        3,
    ),
    (rf"\bsettl(?:e|es|ed|ing)\s+in\s+{_SK}", "arrived", 3),
    (rf"\bregistered\s+in\s+{_SK}", "arrived", 3),
    (r"\bentered\s+the\s+country\b", "arrived", 2),
    # "38 people entered in the first quarter" (translated copy): entered with no place named
    (
        r"\bentered\b(?=\s+(?:in|during|over|last|this|between|so\s+far)\b|\s*[.,;])",
        "arrived",
        2,
    ),
    # translated copy: "escapees who were entered to domestic", "the entering persons"
    (
        r"\b(?:were\s+)?entered\s+(?:in)?to\s+(?:the\s+)?domestic\b|\bdomestic\s+entr(?:y|ies)\b"
        r"|\b(?:escapees?|defectors?)\s+entering\b|\bentering\s+(?:persons|people|number)\b",
        "arrived",
        3,
    ),
    (
        r"\b(?:cumulative|total)\s+(?:number\s+of\s+)?(?:North\s+Korean\s+)?(?:defectors|escapees)\b",
        "arrived",
        2,
    ),
    (r"\barriv(?:e|es|ed|ing|als?)\b", "arrived", 3),
    # a statistics table's caption or header: "Entries of North Korean defectors by year"
    (r"(?<!diary )(?<!blog )\bentr(?:ies|ants)\b", "arrived", 2),
    # "women make up 86 percent of this year's intake": the resettlement centre's arrivals
    (r"\bintakes?\b", "arrived", 2),
    (
        # "had hoped to reach the South Korean embassy": an aim, not an arrival
        r"(?<!hoped\sto\s)(?<!hoping\sto\s)(?<!trying\sto\s)(?<!tried\sto\s)(?<!planned\sto\s)"
        r"(?<!wanted\sto\s)(?<!attempting\sto\s)(?<!aiming\sto\s)(?<!failed\sto\s)"
        rf"\b(?:reach|reaches|reached|reaching|made\s+it\s+to|make\s+it\s+to)\s+{_SK}",
        "arrived",
        3,
    ),
    (rf"\b(?:enter|enters|entered|entering)\s+{_SK}", "arrived", 3),
    # "defected across the Military Demarcation Line": straight into the South
    (
        r"\bdefect(?:ed|s|ing)?\s+(?:across|over)\s+(?:the\s+)?(?:(?:heavily\s+)?(?:fortified\s+)?"
        r"(?:Military\s+Demarcation\s+Line|MDL|DMZ|demilitari[sz]ed\s+zone|inter-Korean\s+border))",
        "arrived",
        3,
    ),
    # translated copy: "domestically entered North Korea escape residents", "entering persons"
    (
        r"\bdomestic(?:ally)?\s+(?:entered|entering|entry)\b|\b(?:entered|entering)\s+(?:to\s+)?"
        r"domestic\b|\bescape\s+residents\b",
        "arrived",
        3,
    ),
    (
        r"\bresettl(?:e|es|ed|ing|ement)\b(?!\s+(?:cent(?:re|er)s?|support|benefits?|programmes?"
        r"|programs?|process|funds?|agency|officials?))"
        # "41 resettled defectors took their own lives": an adjective, not the event
        r"(?!\s+(?:North\s+Korean\s+)?(?:defectors|escapees|refugees|North\s+Koreans|people|women"
        r"|men)\b)",
        "arrived",
        3,
    ),
    # "The ministry counted 34,183 defectors in its records": those who have resettled
    (
        r"\b(?:defectors|escapees)\s+(?:in\s+its\s+records|on\s+(?:its|the)\s+(?:books|register"
        r"|records))\b",
        "arrived",
        2,
    ),
    (
        r"\b(?:defectors|escapees|arrivals)\s+(?:were\s+|are\s+|had\s+been\s+)?registered\b",
        "arrived",
        2,
    ),
    (rf"\bsettled\s+in\s+{_SK}", "arrived", 3),
    (rf"\b(?:came|come|comes|coming)\s+to\s+{_SK}", "arrived", 3),
    (rf"\b(?:living|live|lives|lived)\s+in\s+{_SK}", "arrived", 3),
    (rf"{_SK}\s+(?:received|accepted|admitted|took\s+in|welcomed)", "arrived", 3),
    (r"\b(?:who\s+)?came\b", "arrived", 2),
    (
        rf"\b(?:asked|ask|asks|chose|choose|wished|wish|wanted|want|decided)\s+to\s+(?:stay|remain)\s+"
        rf"in\s+{_SK}",
        "arrived",
        3,
    ),
    # escaped
    # translated copy: "North Korea escape residents" (defectors) is no escape cue
    (r"\bescap(?:e|es|ed|ing)\b(?!\s+(?:route|routes|residents))", "escaped", 3),
    (r"\bdefect(?:ed|ing|ions?)?\b", "escaped", 3),
    (r"\b(?:fled|flee|flees|fleeing)\b", "escaped", 3),
    (
        rf"\bcross(?:ed|es|ing)?\s+(?:(?:the|a)\s+)?(?:(?:sea|land|river|inter-Korean|Chinese)\s+)?"
        rf"{_CROSSING}\b",
        "escaped",
        3,
    ),
    (r"\bleft\s+North\s+Korea\b", "escaped", 3),
    (r"\b(?:hiding|living|staying)\s+(?:illegally\s+|secretly\s+)?in\s+China\b", "escaped", 2),
    # "the number now hiding there": people in hiding abroad (escaped, not yet arrived)
    (r"\b(?:in\s+)?hiding\b", "escaped", 2),
    (r"\b(?:border[-\s])?crossers\b", "escaped", 2),
    (
        rf"\b(?:travel(?:led|ed|s)?\s+on\s+to|made\s+it\s+(?:out\s+)?to|reach(?:ed|es)?)\s+"
        rf"{_TRANSIT}",
        "escaped",
        3,
    ),
    # repatriated
    (r"\brepatriat(?:e|es|ed|ing|ion|ions)\b", "repatriated", 3),
    # a table's header cell: "| Date | People returned |"
    (r"\b(?:returned|returns)\b(?=[ \t]*\|)", "repatriated", 2),
    (r"\b(?:forcibly\s+)?(?:sent|sending|send|sends)\s+(?:them\s+)?back\b", "repatriated", 3),
    (r"\bforcibly\s+return(?:s|ed|ing)?\b", "repatriated", 3),
    (r"\bforced\s+(?:returns?|back|across)\b", "repatriated", 3),
    (r"\bdeport(?:ed|ing|s|ation|ations)?\b", "repatriated", 3),
    (r"\bhand(?:s|ed|ing)?\s+(?:them\s+)?(?:over|back)\b", "repatriated", 3),
    (r"\breturn(?:s|ed)?\s+(?:them\s+)?(?:to\s+North\s+Korea|home|across)\b", "repatriated", 3),
    (r"\bpush(?:es|ed)?\s+(?:them\s+)?(?:back\s+)?across\b", "repatriated", 3),
    (
        r"\b(?:go|went|goes|going|return|returned|returning|sent)\s+(?:back\s+)?"
        r"(?:home\s+)?to\s+(?:the\s+North|North\s+Korea)\b",
        "repatriated",
        3,
    ),
    (r"\brefoul(?:ed|ement)\b", "repatriated", 3),
    # "has sent at least 12 escaped workers back to North Korea": the people between
    (
        r"\b(?:sent|sends|send|sending)\s+(?:[\w,-]+\s+){1,7}?back\s+(?:home\s+)?to\s+"
        r"(?:the\s+North|North\s+Korea)\b",
        "repatriated",
        3,
    ),
    # translated copy: "the persons who were forcibly sent to north"
    (r"\b(?:forcibly\s+)?sent\s+(?:back\s+)?to\s+(?:the\s+)?north\b", "repatriated", 3),
    (
        rf"\b(?:{_TRANSIT}|Beijing|Chinese\s+(?:authorities|police|officials))\s+"
        r"(?:[\w-]+\s+){0,5}?return(?:s|ed|ing)?\b(?!\s+(?:from|home\s+from))",
        "repatriated",
        3,
    ),
    (r"\bsen[dt]\s+(?:[\w,]+\s+){0,8}?(?:back\s+)?across\s+the\s+border\b", "repatriated", 3),
    # "transferred from Jilin detention facilities to North Korean custody"
    (
        r"\b(?:transferred|handed|moved|taken|delivered)\b[^.;]{0,60}?\bto\s+North\s+Korean\s+"
        r"(?:custody|authorities|officials|security|police|guards)\b",
        "repatriated",
        3,
    ),
    (
        rf"\bhand(?:s|ed|ing)?\s+(?:\w+\s+){{0,3}}?(?:over\s+)?to\s+(?:North\s+Korean|{_ORIGIN})",
        "repatriated",
        3,
    ),
    (r"\bexpel(?:s|led)\b", "repatriated", 3),
    (r"\b(?:returnees|deportees)\b", "repatriated", 2),
    # "verified the return of more than 670 North Koreans": the noun
    (r"\b(?:the|forced|their)\s+returns?\s+of\b", "repatriated", 3),
    # "500 people were moved through Tumen, ... with buses arriving at each customs post":
    # people taken through official crossing points are handed over, not escaping
    (
        r"\b(?:moved|taken|transferred|bused|bussed|driven|escorted|trucked)\s+(?:back\s+)?"
        r"(?:through|across|over)\b(?=[^.;]{0,120}?\b(?:customs|checkpoints?|border\s+(?:gates?"
        r"|posts?|bridges?)|crossing\s+points?)\b)",
        "repatriated",
        3,
    ),
    (
        r"\b(?:return(?:ed|s)|forced\s+returns?)\b(?!\s+(?:from|to\s+(?:South\s+Korea|Seoul|the\s+South"
        r"|work|school|China|their\s+(?:jobs|homes|posts|units))|home\s+from|safely))",
        "repatriated",
        2,
    ),
    # detained
    (r"\bdetain(?:s|ed|ing)?\b", "detained", 3),
    # "documented the detention of 46 North Koreans": the noun with its people
    (r"\b(?:the|their)\s+(?:detention|arrests?|capture)\s+of\b", "detained", 3),
    (r"\b(?:re-?)?arrest(?:s|ed|ing)?\b", "detained", 3),
    (r"\bcaught\b", "detained", 3),
    (r"\bapprehend(?:ed|ing|s)?\b", "detained", 3),
    (r"\bcaptur(?:es|ed)\b", "detained", 3),
    (r"\brounded\s+up\b", "detained", 3),
    (r"\b(?:in|into)\s+(?:[\w-]+\s+)?(?:custody|detention)\b", "detained", 3),
    (
        r"\b(?:were|was|been|being|got|get)\s+picked\s+up\b|\bpicked\s+up\s+(?:[\d,]+\b|(?:[\w-]+\s+)?"
        r"(?:North\s+Koreans|defectors|people|women|men))|\bintercepted\b",
        "detained",
        3,
    ),
    (
        r"\b(?:held|kept|housed|locked\s+up)\s+(?:at|in)\s+(?:an?\s+|the\s+)?(?:[\w'’-]+\s+){0,2}?"
        r"(?:police\s+stations?|detention\s+(?:cent(?:re|er)s?|facilit(?:y|ies)|camps?)"
        r"|immigration\s+(?:cent(?:re|er)s?|jails?|prisons?)|border\s+(?:posts?|stations?))"
        r"|\bremain(?:s|ed|ing)?\s+(?:in\s+)?(?:[\w'’-]+\s+){0,4}?(?:detention|custody)\b",
        "detained",
        3,
    ),
    (r"\billegal\s+entry\b", "detained", 2),
    (r"\bdetention\b", "detained", 2),
    (r"\bdetainees\b", "detained", 2),
    (r"\bheld\b", "detained", 2),
    # sentenced
    (r"\bsentenc(?:ed|ing)\b|\bsentences?\s+(?:them|him|her)\b", "sentenced", 3),
    (r"\bconvict(?:s|ed)\b", "sentenced", 3),
    (
        r"\b(?:handed|given|received|got|gets|receive|receiving)\s+(?:down\s+)?(?:[\w-]+\s+){0,2}?"
        r"(?:prison|jail|labou?r(?:\s+camp)?)\s+(?:terms?|sentences?)\b",
        "sentenced",
        3,
    ),
    # "Four others received terms of between 10 and 15 years", "given six-month terms in a camp"
    (
        r"\b(?:handed|given|received|got|receive|receiving)\s+(?:down\s+)?(?!the\b)"
        r"(?:[\w-]+\s+){0,2}?(?:terms?|sentences?)\s+(?:of|in)\b",
        "sentenced",
        3,
    ),
    (r"\bgiven\s+(?:a\s+)?life\s+(?:terms?|sentences?)\b", "sentenced", 3),
    (r"\blife\s+(?:terms?|sentences?)\b", "sentenced", 3),
    # executed
    (r"\bexecut(?:e|es|ed|ing|ions?)\b", "executed", 3),
    (r"\bput\s+to\s+death\b", "executed", 3),
    (r"\b(?:were|was|been|being)\s+hanged\b|\bpublicly\s+hanged\b", "executed", 3),
    (r"\bpublicly\s+shot\b|\bfiring\s+squads?\b", "executed", 3),
    (r"\bshot\b(?=[^.;,]{0,60}\bfor\b)", "executed", 3),
    # "shot two men dead at a public trial": an execution
    (
        r"\bshot\s+(?:[\w,-]+\s+){0,4}?dead\s+(?:at|after|during|before)\s+(?:a\s+|the\s+)?"
        r"(?:public\s+)?(?:trial|rally|gathering|execution)",
        "executed",
        3,
    ),
    # imprisoned
    # "put the total population of the political prison camps at 80,000 to 120,000"
    (
        r"\b(?:population|number\s+of\s+(?:prisoners|inmates|people))\s+(?:held\s+)?(?:of|in)\s+"
        r"(?:[\w'’-]+\s+){0,5}?(?:camps?|prisons?|kwanliso|kwalliso|kyohwaso|colonies)\b",
        "imprisoned",
        3,
    ),
    (r"\bimprison(?:s|ed|ment|ing)?\b", "imprisoned", 3),
    (r"\bincarcerat(?:e|es|ed|ing|ion)\b", "imprisoned", 3),
    (r"\bbehind\s+bars\b|\blocked\s+up\b", "imprisoned", 3),
    (
        rf"\b(?:remain(?:s|ed|ing)?|live|lives|living|languish(?:es|ed|ing)?|serv(?:e|es|ed|ing)\s+"
        rf"(?:\w+\s+){{0,3}}?(?:sentences?|terms?))\s+in\s+(?:[\w'’-]+\s+){{0,4}}?{_CAMP}",
        "imprisoned",
        3,
    ),
    (r"\bjail(?:s|ed)\b", "imprisoned", 3),
    (rf"\bheld\s+(?:there|in\s+(?:[\w'’-]+\s+){{0,4}}?{_CAMP})", "imprisoned", 3),
    (
        rf"\b(?:hold|holds|holding|held|keeps|kept|keeping)\b(?=[^.;]{{0,90}}?\b(?:in|inside|within)\s+"
        rf"(?:its\s+|their\s+|the\s+)?(?:[\w'’-]+\s+){{0,4}}?(?:of\s+(?:[\w'’-]+\s+){{0,3}})?{_CAMP}\b)",
        "imprisoned",
        3,
    ),
    (
        rf"\b(?:sent|transferred|taken|moved|dispatched)\s+to\s+(?:[\w'’-]+\s+){{0,3}}?{_CAMP}",
        "imprisoned",
        3,
    ),
    # a camp as the subject: "Camp 25 ... may now hold about 5,000 people"
    (
        rf"\b{_CAMP}\b(?:\s+\d{{1,3}})?[^.;]{{0,80}}?\b(?:hold|holds|holding|held|house|houses"
        rf"|housed|contains?|contained)\b",
        "imprisoned",
        3,
    ),
    (r"\b(?:political\s+)?(?:prisoners|inmates)\b", "imprisoned", 2),
    (
        r"\bin\s+(?:a\s+|the\s+)?(?:kyohwaso|kwanliso|(?:political\s+)?prison\s+camp|labou?r\s+camp)",
        "imprisoned",
        2,
    ),
    # trafficked
    (r"\btraffick(?:ed|ing)\b|\btraffics\b", "trafficked", 3),
    # "rescued 48 women from traffickers", "freed from brokers who had sold them"
    (
        r"\b(?:rescu(?:e|es|ed|ing)|free(?:s|d|ing)?|liberat(?:e|es|ed|ing))\b(?=[^.;]{0,60}?\bfrom\s+"
        r"(?:[\w'’-]+\s+){0,2}?(?:traffickers|brothels|forced\s+marriages?|captivity|sex\s+trade))",
        "trafficked",
        3,
    ),
    (
        r"\bsold\s+(?:into|as|to)\b|\b(?:were|was|been|being|are|is)\s+sold\b",
        "trafficked",
        3,
    ),
    # died
    (r"\b(?:die|dies|died|dying)\b", "died", 3),
    (r"(?<!to\s)\bdeaths?\b", "died", 3),
    (r"\bkill(?:s|ed)?\b", "died", 3),
    (r"\bshot\s+(?:[\w,-]+\s+){0,4}?dead\b", "died", 3),
    (r"\b(?:drown(?:ed|ing)|perish(?:ed)?|starved\s+to\s+death)\b", "died", 3),
    (
        r"\b(?:took|take|taken|taking)\s+(?:their|his|her)\s+own\s+lives?\b|\bcommitted\s+suicide\b"
        r"|\bsuicides\b",
        "died",
        3,
    ),
    (
        r"\blost\b(?=[^.;]{0,70}?\bto\s+(?:the\s+)?(?:hunger|famine|starvation|malnutrition|disease"
        r"|illness)\b)",
        "died",
        3,
    ),
    # missing
    (r"\bmissing\b", "missing", 3),
    (r"\bdisappear(?:s|ed)\b", "missing", 3),
    (r"\bvanish(?:es|ed)?\b", "missing", 3),
    (r"\bunaccounted\s+for\b", "missing", 3),
    (r"\bwhereabouts\s+of\b(?=[^.;]{0,60}?\bunknown\b)|\bout\s+of\s+contact\b", "missing", 3),
    (
        r"\b(?:can(?:not|'t|’t)|could\s+not|could(?:n't|n’t))\s+be\s+(?:located|found|traced)\b"
        r"|\bwhereabouts\s+(?:are\s+|is\s+|remain\s+)?unknown\b",
        "missing",
        3,
    ),
    # athletes / delegations
    (
        r"\b(?:athletes?|players|skaters|cheerleaders|competitors|sportsmen|sportswomen)\b",
        "athletes",
        2,
    ),
    (r"\bdelegat(?:es|ion\s+members)\b", "athletes", 2),
    (r"-member\s+(?:delegation|squad)\b", "athletes", 2),
    (r"\b(?:delegations?|squads?|troupes?|orchestras?|performers|musicians)\b", "athletes", 2),
    (r"\b(?:team|squad)\s+of\b|\bOlympians\b", "athletes", 2),
    # population
    (r"\bpopulation\s+of\b", "population", 3),
    (r"\bpopulation\b|\binhabitants\b|\b(?:home\s+to|nation\s+of|country\s+of)\b", "population", 2),
    # last resort
    (r"\b(?:defectors|escapees|refugees)\b", "escaped", 1),
)


@dataclass(frozen=True)
class Cue:
    """A subject cue found in the text.

    Attributes:
        start: Offset of the cue.
        end: End offset.
        subject: Controlled subject word.
        strength: 1 (weak) to 3 (strong).
    """

    start: int
    end: int
    subject: str
    strength: int


_CUES: tuple[tuple[re.Pattern[str], str, int], ...] = tuple(
    (re.compile(p, re.IGNORECASE), s, w) for p, s, w in _CUE_TABLE
)


def find_cues(text: str, start: int, end: int) -> list[Cue]:
    """Find subject cues in a span; overlapping cues keep the longest.

    Args:
        text: The document text.
        start: Span start.
        end: Span end.

    Returns:
        Cues in text order.
    """
    raw: list[Cue] = []
    for pat, subject, strength in _CUES:
        for m in pat.finditer(text, start, end):
            raw.append(Cue(m.start(), m.end(), subject, strength))
    raw.sort(key=lambda c: (c.start, -(c.end - c.start), -c.strength))
    out: list[Cue] = []
    for c in raw:
        if out and c.start < out[-1].end:
            prev = out[-1]
            # a longer cue covering this one wins ("held in the camps" over "held")
            if (c.end - c.start) > (prev.end - prev.start) and c.start == prev.start:
                out[-1] = c
            continue
        out.append(c)
    # "the death penalty", "until they die": they only hide the cue words inside them
    return [c for c in out if c.subject != "none"]


# Nouns after a number that are not people: the number is never a claim.
NON_PEOPLE_UNITS: frozenset[str] = frozenset(
    {
        "year",
        "years",
        "month",
        "months",
        "week",
        "weeks",
        "day",
        "days",
        "hour",
        "hours",
        "minute",
        "minutes",
        "second",
        "seconds",
        "decade",
        "decades",
        "century",
        "centuries",
        "km",
        "kilometre",
        "kilometres",
        "kilometer",
        "kilometers",
        "mile",
        "miles",
        "metre",
        "metres",
        "meter",
        "meters",
        "m",
        "kg",
        "kilogram",
        "kilograms",
        "g",
        "lb",
        "lbs",
        "pound",
        "pounds",
        "ton",
        "tons",
        "tonne",
        "tonnes",
        "hectare",
        "hectares",
        "acre",
        "acres",
        "feet",
        "foot",
        "ft",
        "inch",
        "inches",
        "degree",
        "degrees",
        "mb",
        "kb",
        "gb",
        "page",
        "pages",
        "episode",
        "episodes",
        "medal",
        "medals",
        "gold",
        "golds",
        "point",
        "points",
        "goal",
        "goals",
        "sport",
        "sports",
        "event",
        "events",
        "crossing",
        "crossings",
        "camp",
        "camps",
        "kwanliso",
        "kwalliso",
        "kyohwaso",
        "province",
        "provinces",
        "city",
        "cities",
        "county",
        "counties",
        "country",
        "countries",
        "time",
        "times",
        "won",
        "yuan",
        "dollar",
        "dollars",
        "euro",
        "euros",
        "usd",
        "krw",
        "vote",
        "votes",
        "seat",
        "seats",
        "car",
        "cars",
        "bus",
        "buses",
        "truck",
        "trucks",
        "van",
        "vans",
        "train",
        "trains",
        "plane",
        "planes",
        "flight",
        "flights",
        "occasion",
        "occasions",
        "figure",
        "figures",
        "wave",
        "waves",
        "batch",
        "batches",
        "incident",
        "incidents",
        "engine",
        "engines",
        "vehicle",
        "vehicles",
        "boat",
        "boats",
        "document",
        "documents",
        "report",
        "reports",
        "article",
        "articles",
        "photo",
        "photos",
        "image",
        "images",
        "video",
        "videos",
        "film",
        "films",
        "book",
        "books",
        "meal",
        "meals",
        "room",
        "rooms",
        "building",
        "buildings",
        "facility",
        "facilities",
        "centre",
        "centres",
        "center",
        "centers",
        "site",
        "sites",
        "satellite",
        "round",
        "rounds",
        "session",
        "sessions",
        "resolution",
        "resolutions",
        "law",
        "laws",
        "clause",
        "clauses",
        "recommendation",
        "recommendations",
        "question",
        "questions",
        "interview",
        "interviews",
        "survey",
        "surveys",
        "testimony",
        "testimonies",
        "kilometre-long",
        "percent",
        "storeys",
        "floors",
        "steps",
        "shots",
        "bullets",
        "rifles",
        "guns",
        "prisons",
        "brokers'",
        "calories",
        "grams",
        "litres",
        "liters",
        "gallons",
        "bags",
        "tickets",
        "copies",
        "views",
        "followers",
        "likes",
        "hits",
        "downloads",
        "languages",
        "editions",
        "issues",
        "volumes",
        "chapters",
        "sections",
        "items",
        "lines",
        "routes",
        "roads",
        "bridges",
        "rivers",
        "villages",
        "towns",
        "markets",
        "schools",
        "churches",
        "homes",
        "houses",
        "families",
        "households",
        # an explainer's title: "Seven numbers that explain escapes from North Korea"
        "numbers",
        "facts",
        "reasons",
        "charts",
        "takeaways",
    }
)

# Head nouns for people in general: need a cue (or an antecedent claim) for a subject.
GENERIC_PEOPLE: frozenset[str] = frozenset(
    {
        "people",
        "persons",
        "person",
        "individuals",
        "koreans",
        "north",
        "women",
        "men",
        "girls",
        "boys",
        "children",
        "minors",
        "citizens",
        "nationals",
        "defectors",
        "defector",
        "escapees",
        "refugees",
        "others",
        "adults",
        "females",
        "males",
        "victims",
        "cases",
        "survivors",
    }
)

# People that are not counted by the controlled vocabulary unless a strong cue says so.
OTHER_PEOPLE: frozenset[str] = frozenset(
    {
        "brokers",
        "workers",
        "labourers",
        "laborers",
        "fishermen",
        "friends",
        "soldiers",
        "guards",
        "officials",
        "students",
        "residents",
        "journalists",
        "reporters",
        "volunteers",
        "staff",
        "researchers",
        "members",
        "relatives",
        "parents",
        "mothers",
        "fathers",
        "sons",
        "daughters",
        "husbands",
        "wives",
        "activists",
        "lawmakers",
        "diplomats",
        "tourists",
        "visitors",
        "smugglers",
        "traders",
        "merchants",
        "crew",
        "sailors",
        "monks",
        "pastors",
        "missionaries",
        "doctors",
        "teachers",
        "police",
        "agents",
        "spies",
        "hackers",
        "employees",
        "readers",
        "donors",
        "subscribers",
        "supporters",
        "participants",
        "respondents",
        "interviewees",
        "witnesses",
        "sources",
        "defendants",
        "suspects",
        "farmers",
        "miners",
        "patients",
    }
)

# Words skipped when looking for the head noun after a number.
HEAD_SKIP: frozenset[str] = frozenset(
    {
        "north",
        "south",
        "korean",
        "koreans'",
        "chinese",
        "more",
        "other",
        "new",
        "young",
        "older",
        "female",
        "male",
        "registered",
        "known",
        "confirmed",
        "documented",
        "public",
        "political",
        "forced",
        "former",
        "such",
        "additional",
        "further",
        "recorded",
        "reported",
        "suspected",
        "alleged",
        "estimated",
        "total",
        "separate",
        "individual",
        "undocumented",
        "illegal",
        "large",
        "small",
        "major",
        "large-scale",
        "british",
        "russian",
        "foreign",
        "elite",
        "senior",
        "restaurant",
        "construction",
        "logging",
        "overseas",
        "ethnic",
    }
)
