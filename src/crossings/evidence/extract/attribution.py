"""Attribution phrases: who a number is attributed to.

Recognised forms (per sentence):

* "according to X", "according to figures released by X", "according to the
  charity X", "according to estimates by X";
* "X said / says / told / reported / estimates / announced / confirmed /
  counted / recorded / documented / found / noted / put the number at ...",
  including ", the ministry said" at the end of a sentence and "X, which ...,
  said";
* inverted ", said X";
* "X's data / figures show", "data from X showed", "a report by X
  estimates";
* (round 5) more verbs ("mentioned", "added", "explained", "verified",
  "testified", "attributed" -- the last for its own sentence only) and
  adverbs before them ("has separately verified"); "put the cumulative number
  at"; sources such as "a former inmate", "aid workers", "a district police
  chief", "our partners in China" (people outside the publisher); "according
  to several studies.17" (a footnote mark ends the phrase); "according to
  Seoul's unification ministry"; "according to data the ministry submitted to
  Rep. X" (the data's owner); "according to a 2013 X report" (X);
  "according to defectors interviewed by X" (the defectors); appositions
  ("Park, a former inmate of Camp 18, told", "A think tank, KINU, put the
  number at"); names with a number ("News 1 reported"); a transcript's
  "A." / "Q:" is no name.

The result is a raw mention; generic mentions ("the ministry", "the group",
"the sources", "he", "ministry data") are resolved against earlier named
mentions of the same document by :func:`resolve`; a known body written with
an article ("the unification ministry") is a name, not a generic mention.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from types import MappingProxyType

__all__ = [
    "AttributionMention",
    "AttributionResolver",
    "canonical_name",
    "document_bodies",
    "find_attributions",
    "resolve",
]

_VERB = re.compile(
    r"\b(?:(?:has|have|had|also|previously|earlier|later|further|separately|independently"
    r"|repeatedly|recently|publicly|officially|reportedly|initially|subsequently|first|again"
    r"|now|then|still|already|on\s+the\s+\d{1,2}(?:st|nd|rd|th)"
    r"|continues\s+to|continue\s+to|continued\s+to|went\s+on\s+to|goes\s+on\s+to)\s+)*"
    r"(?P<verb>said|says|say|told|tells|reported|reports|estimated|estimates|estimate"
    r"|mentioned|mentions|added|adds|explained|explains|attributed|attributes|testified|testifies"
    r"|recounted|indicated|indicates|pointed\s+out|points\s+out|verified|verifies"
    r"|announced|announces|stated|states|noted|notes|found|finds|counted|counts|recorded"
    r"|records|documented|documents|confirmed|confirms|claimed|claims|wrote|writes|revealed"
    r"|reveals|disclosed|discloses|believes|believe|showed|shows|show|suggests|suggested"
    r"|registered|released|publishes|published|issued|reckoned|reckons"
    # "..., local media report.": "report" as a verb only at the end of its clause
    r"|report(?=\s*[.;]|\s*$)"
    r"|received\s+(?:[a-z]+\s+)?(?:information|reports|testimony|accounts)|(?:was|were)\s+informed"
    r"|puts?\s+the\s+(?:[\w-]+\s+){0,2}?(?:number|figure|total|toll|count|tally))\b"
)
_ACCORDING = re.compile(
    r"\baccording\s+to\s+|\bby\s+the\s+(?:reckoning|count|estimates?|tally|calculations?)\s+of\s+",
    re.IGNORECASE,
)
_HARD_END = re.compile(r"[,.;:()\[\]\"“”]\s|[,;:()\[\]\"“”]|\.$|\.(?=\d)|\s[-–—]\s")
_CLAUSE_END = re.compile(
    r"[,.;:()\[\]\"“”]\s|[,;:()\[\]\"“”]|\.$|\s[-–—]\s|\s(?:which|who|whose|that|and|but"
    r"|while|as|when|because|released|published|issued|on\s+(?:Monday|Tuesday|Wednesday"
    r"|Thursday|Friday|Saturday|Sunday))\b"
)
_DATA_NOUN = (
    r"(?:latest\s+|new\s+|official\s+|provisional\s+|final\s+|own\s+|annual\s+|"
    r"monthly\s+|government\s+)*(?:figures|data|estimates?|statistics|numbers|records"
    r"|count|tally|report|reports|survey|study|analysis|research|imagery|documents"
    r"|testimony|testimonies|table|white\s+paper)"
)
_BY_FROM = re.compile(
    rf"^(?:the\s+|a\s+|an\s+)?(?:[\w-]+\s+){{0,2}}?{_DATA_NOUN}\b.*?\b(?:by|from|of)\s+(?P<x>.+)$",
    re.IGNORECASE,
)
# "data the ministry submitted to Rep. Choi", "figures that the police provided to lawmakers"
_DATA_GIVEN = re.compile(
    rf"(?:the\s+|a\s+)?(?:[\w-]+\s+)?{_DATA_NOUN}\s+(?:that\s+|which\s+)?"
    r"(?P<x>(?:the\s+)?[\w'’-]+(?:\s+[\w'’-]+){0,7}?)\s+(?:had\s+|has\s+|have\s+)?"
    r"(?:submitted|provided|gave|handed|sent|released|presented|shared|supplied)\s+(?:to|with)\b",
    re.IGNORECASE,
)
_DATED_REPORT = re.compile(
    r"(?:an?|the|its)\s+(?:(?:19|20)\d\d\s+)?"
    r"(?P<x>[A-Z][\w'’&.-]*(?:\s+(?:(?:of|for|on|and|&|the|in)\s+)*[A-Z][\w'’&.-]*)*)"
    rf"\s+{_DATA_NOUN}\b"
)
_PLACE_POSSESSIVE = re.compile(r"[A-Z][\w.-]*(?:\s+[A-Z][\w.-]*)*['’]s\s+(?=[a-z])")
_INTERVIEWED_BY = re.compile(
    r"\s+(?:interviewed|cited|quoted|surveyed|contacted|questioned|consulted|polled)\s+by\b"
)
# a relative clause without "who": "aid workers I have known", "officials we spoke to"
_CONTACT_CLAUSE = re.compile(r"\s+(?:I|we|they|you)\s+(?=[a-z])")
_POSSESSIVE = re.compile(rf"^(?P<x>.+?)['’]s?\s+{_DATA_NOUN}\b.*$", re.IGNORECASE)
_TRAILING_DATA = re.compile(rf"\s+{_DATA_NOUN}$", re.IGNORECASE)
_NOT_SUBJECT = re.compile(
    r"\b(?:is|are|was|were|be|been|being|will|would|could|should|can|may|might|must|do|does"
    r"|did|if|when|while|because|although|though|than|so|not|no|said|says|had|has|have"
    r"|received)\b|\d",
    re.IGNORECASE,
)
_PRONOUNS = frozenset({"he", "she"})
# numbers that belong to a name or a description, not to a clause: "a 41-year-old woman",
# "a former guard at Camp 22", "a prisoner of Kyohwaso No. 12"
_NAMED_NUMBER = re.compile(r"\b\d{1,3}-year-old\b|\b(?:No\.|[A-Z][\w.]*)\s+\d{1,3}\b")
# a time adverbial or a section number before the subject: "2.1 Between January 2020 and
# June 2021 the Citizens' Alliance documented", "In 2021 the ministry counted"
_LEAD_TIME = re.compile(
    r"(?:\d+(?:\.\d+)+\s+)?(?:(?i:back\s+)?(?i:in|on|by|during|since|between|from|until"
    r"|through|over|after|before|as\s+of)\s+)?(?:(?i:early|late|mid-?)\s*)?"
    r"(?:[A-Z][a-z]+\s+)?(?:\d{1,2}(?:st|nd|rd|th)?,?\s+)?(?:19|20)\d\d"
    r"(?:\s+(?:and|to|through|until)\s+(?:[A-Z][a-z]+\s+)?(?:\d{1,2},?\s+)?(?:19|20)\d\d)?"
    r",?\s+(?=(?:[Tt]he\s+)?[A-Z])"
)
# "a former logging worker who now lives in Incheon told us": the worker
_RELATIVE_IN_SUBJECT = re.compile(r"\s+(?:who|which)\s+\S")
# a passive count with its agent: "was counted as 33,882 persons by the ministry"
_PASSIVE_BY = re.compile(
    r"\b(?:was|were|is|are|(?:has|have|had)\s+been)\s+(?:[a-z]+ly\s+)?"
    r"(?:counted|recorded|registered|estimated|reported|documented|tallied|confirmed|put"
    r"|verified|given)\b[^.;:]*?\bby\s+(?P<x>(?:the\s+)?[\w'’.&-]+(?:\s+[\w'’.&-]+){0,6})"
)
# "In one case reported to OHCHR, 23 women ...": the body the case was reported to
_REPORTED_TO = re.compile(
    r"\b(?:cases?|incidents?|deaths?|arrests?|instances?)\s+(?:[a-z]+\s+)?reported\s+to\s+"
    r"(?P<x>(?:the\s+)?[A-Z][\w'’.&-]*(?:\s+(?:(?:of|for|on|and|&|the|in)\s+)*[A-Z][\w'’.&-]*)*)"
)
_TIME_WORDS = frozenset(
    {
        "january", "february", "march", "april", "may", "june", "july", "august",
        "september", "october", "november", "december", "year", "month", "week", "quarter",
        "today", "yesterday",
    }
)  # fmt: skip
_WH_WORD = re.compile(r"\s*(?:what|who|which|where|when|how|why|that|this|all)\s*$", re.I)
_CLEFT = re.compile(r"\b(?:is|was)\s+that\s+", re.IGNORECASE)
_SECTION_NUMBER = re.compile(r"\d{1,2}(?:\.\d{1,2})+\s+(?=[A-Z])")
_AGE_APPOSITION = re.compile(r"\s*(?:aged\s+)?\d{1,3}\s*")
# inverted with a description: "said the activist, Jeong Tae-min of the group"
_SAID_DESCRIBED = re.compile(
    r"\s+(?:the|a|an)\s+(?P<desc>[a-z][\w-]*(?:\s+[a-z][\w-]*){0,2})"
    r"(?:,\s*(?P<name>[A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+){0,3}))?"
)
_LEADING_PREPOSITIONS = frozenset(
    {"in", "on", "at", "by", "for", "with", "from", "of", "during", "after", "before", "since"}
)
_NUMBERED_NAME = re.compile(r"[A-Z][\w&.'’-]*(?:\s+[A-Z][\w&.'’-]*)*\s+\d{1,3}")
# people outside the publisher, though "our" ("our partners in China", "our sources")
_OUR_OUTSIDE = re.compile(r"[Oo]ur\s+(?=(?:partners|sources|contacts|correspondents)\b)")
_PLURAL_SOURCES = frozenset(
    {
        "police",
        "officials",
        "sources",
        "activists",
        "researchers",
        "lawmakers",
        "media",
        "newspapers",
        "residents",
        "witnesses",
        "experts",
        "analysts",
        "guards",
        "groups",
        "organisations",
        "organizations",
        "agencies",
        "authorities",
        "diplomats",
        "monitors",
        "campaigners",
        "investigators",
        "lawyers",
        "defectors",
        "escapees",
        "refugees",
        "relatives",
        "guard",
        "official",
        "resident",
        "source",
        "witness",
        "defector",
        "lawyer",
        "researcher",
        "activist",
        "analyst",
        "expert",
        "diplomat",
        "escapee",
        "refugee",
        "relative",
        "survivor",
        "survivors",
        "inmate",
        "inmates",
        "prisoner",
        "prisoners",
        "detainee",
        "detainees",
        "worker",
        "workers",
        "chief",
        "colonel",
        "captain",
        "officer",
        "officers",
        "commander",
        "partner",
        "partners",
        "contacts",
        "missionary",
        "missionaries",
        "pastor",
        "broker",
        "brokers",
        "organisers",
        "organizers",
        "coach",
        "coaches",
        "woman",
        "women",
        "man",
        "men",
        "returnee",
        "returnees",
        "interviewee",
        "interviewees",
        "smuggler",
        "smugglers",
        "trader",
        "traders",
        "soldier",
        "soldiers",
    }
)
_PREPOSITIONS = frozenset(
    {
        "on",
        "of",
        "to",
        "in",
        "for",
        "with",
        "about",
        "at",
        "by",
        "from",
        "into",
        "over",
        "under",
        "than",
        "that",
        "the",
        "a",
        "an",
    }
)
_ORG_WORDS = frozenset(
    {
        "watch",
        "network",
        "ministry",
        "centre",
        "center",
        "alliance",
        "group",
        "institute",
        "archive",
        "committee",
        "commission",
        "service",
        "foundation",
        "council",
        "agency",
        "office",
        "project",
        "coalition",
        "association",
        "liberty",
        "uk",
        "union",
        "organisation",
        "organization",
        "department",
        "government",
        "database",
        "monitor",
        "rights",
        "nations",
        "un",
        "unhcr",
        "amnesty",
        "international",
        "court",
        "bureau",
        "police",
        "media",
        "inquiry",
        "forum",
        "initiative",
        "society",
        "observatory",
        "institution",
        "tribunal",
        "secretariat",
        "mission",
        "fund",
        "trust",
        "board",
    }
)
_SKIP_SUBJECTS = frozenset(
    {
        "it",
        "they",
        "we",
        "i",
        "you",
        "one",
        "this",
        "that",
        "there",
        "these",
        "those",
        "our researchers",
        "our team",
        "we have",
    }
)
_GENERIC_HEADS = frozenset(
    {
        "ministry",
        "group",
        "organisation",
        "organization",
        "centre",
        "center",
        "network",
        "agency",
        "charity",
        "rapporteur",
        "report",
        "sources",
        "source",
        "lawyer",
        "researcher",
        "institute",
        "government",
        "commission",
        "office",
        "foundation",
        "ngo",
        "watchdog",
        "alliance",
        "committee",
        "database",
        "service",
        "monitor",
        "coalition",
        "association",
        "archive",
        "project",
        "department",
        "spokesman",
        "spokeswoman",
        "spokesperson",
        "official",
        "think",
        "tank",
        "council",
        "programme",
        "program",
        "body",
        "panel",
        "inquiry",
        "survey",
        "forum",
    }
)
_ORG_GENERIC = frozenset(
    {
        "group",
        "organisation",
        "organization",
        "charity",
        "ngo",
        "body",
        "watchdog",
        "network",
        "project",
        "report",
        "study",
        "survey",
        "assessment",
        "analysis",
        "tank",
    }
)
# Descriptors before a name ("the Seoul-based charity X"): lower-case words only, so that
# the words of a name ("Human Rights Watch") are never taken for a descriptor.
_DESCRIPTORS = re.compile(
    r"^(?:(?:[Tt]he|[Aa]n?|[\w-]+-based|non-profit|nonprofit|independent|human\s+rights|rights"
    r"|advocacy|charity|group|organisation|organization|ngo|NGO|think\s+tank|campaign|research|aid"
    r"|refugee|legal|christian|Christian|watchdog|monitoring)\s+)+"
)
_TIMELINE_PREFIX = re.compile(
    r"(?:(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?\s+\d{1,2}"
    r"|\d{1,2}:\d{2}\s*[A-Z]{0,3})\s+"
)
# "immigration figures show", "government data showed": the data's owner, as written
_DATA_OWNER = re.compile(
    r"^(?:the\s+)?(?P<mod>[a-z][\w-]+(?:\s+[a-z][\w-]+)?)\s+(?:data|figures|statistics|records)$"
)
_NOT_OWNERS = frozenset(
    {
        "preliminary",
        "provisional",
        "latest",
        "new",
        "final",
        "recent",
        "monthly",
        "annual",
        "quarterly",
        "these",
        "those",
        "such",
        "our",
        "own",
        "tentative",
        "the",
        "available",
        "same",
    }
)
_FAMILY = frozenset(
    {
        "brother",
        "sister",
        "mother",
        "father",
        "son",
        "daughter",
        "husband",
        "wife",
        "cousin",
        "uncle",
        "aunt",
        "neighbour",
        "neighbor",
        "friend",
        "relatives",
        "family",
    }
)
# a sentence about an unnamed person, who is the "he" of its "he said"
_UNNAMED_PERSON = re.compile(
    r"\W*(?:A|An|One|Another|The)\s+(?:[a-z-]+\s+){0,3}?(?:man|woman|boy|girl|defector|escapee"
    r"|survivor|witness|prisoner|inmate|returnee|teenager|person|mother|father|guard)\b"
)

# One alternative only: "[A-Z]{2,}" and "[A-Z]\." (once alternatives here) match nothing
# "[A-Z][\w'’.-]*" does not, and alternatives that overlap make a run of capitalised words
# backtrack exponentially when the rest of a pattern fails (an all-caps headline hung).
_NAME_WORD = r"[A-Z][\w'’.-]*"
_CONNECT = r"(?:of|for|on|and|&|de|du|la|the|in)"
_NAME = re.compile(rf"{_NAME_WORD}(?:\s+(?:{_CONNECT}\s+)*{_NAME_WORD})*")
_ROLE_NAME = re.compile(
    rf"^(?:(?:the|a|an)\s+)?(?:[A-Z][\w'’-]*\s+){{0,3}}(?:[a-z-]+\s+)?"
    r"(?:lawmaker|legislator|MP|minister|official|spokes(?:man|woman|person)|researcher"
    r"|professor|analyst|director|lawyer|activist|envoy|ambassador|scholar|expert|journalist"
    r"|reporter|pastor|defector|chair(?:man|woman)?|president|head|founder|investigator"
    r"|rapporteur|commissioner)\s+"
    rf"(?P<name>{_NAME_WORD}(?:\s+{_NAME_WORD})*)"
)
_POSS_ANY = re.compile(
    rf"(?P<x>(?:[Tt]he\s+)?(?:{_NAME_WORD}(?:\s+(?:{_CONNECT}\s+)*{_NAME_WORD})*"
    r"|(?:(?:unification|foreign|interior|justice|defen[cs]e|security)\s+)?ministry"
    r"|group|government|agency|network|centre|center|organisation|organization|charity"
    r"|commission|institute|rapporteur|forum|archive|alliance|project|coalition|office))['’]s\s+(?:own\s+|provisional\s+|final\s+|latest\s+"
    r"|official\s+|annual\s+|new\s+|monthly\s+|arrival\s+"
    r"|(?:first|second|third|fourth|half|mid|full|year)-(?:quarter|half|year|end)\s+)*"
    r"(?:figures?|data|count|tally|statistics"
    r"|estimates?|records|table|report|survey|study|white\s+paper)\b"
)


@dataclass(frozen=True)
class AttributionMention:
    """An attribution phrase in a sentence.

    Attributes:
        who: The attributed body or person as written (before resolution).
        start: Offset of ``who`` in the text.
        end: End offset of ``who``.
        anchor: Offset of the attributing verb / "according to" (for
            distances to numbers).
        generic: The head noun when ``who`` is generic ("ministry" for "the
            ministry", "he" for a pronoun), else ``None``.
        local: Whether it attributes only numbers of its own sentence
            ("Officials attributed the fall to ..." names no source for the
            next sentence's figure).
    """

    who: str
    start: int
    end: int
    anchor: int
    generic: str | None
    local: bool = False


def _trim_name(phrase: str) -> tuple[int, int] | None:
    """Locate the proper name inside a phrase ("the charity Rescue Route UK").

    A multi-word name stops before " in " ("Ministry of Unification in Seoul");
    a one-word name may continue with it ("Liberty in North Korea").

    Args:
        phrase: A noun phrase.

    Returns:
        (start, end) of the name inside ``phrase``, or ``None``.
    """
    m = _NAME.search(phrase)
    if not m:
        return None
    name = m.group(0)
    words = name.split()
    if len(words) > 1:
        # cut a trailing " in Seoul" / " in the DPRK" from a multi-word name
        cut = re.search(r"\s+in\s+", name)
        if cut and len(name[: cut.start()].split()) > 1:
            name = name[: cut.start()]
    # trailing connectors are not part of a name
    name = re.sub(rf"(?:\s+{_CONNECT})+$", "", name)
    return m.start(), m.start() + len(name)


# "the Seoul-based human rights group", "the New York-based organisation", "this UN body":
# a description of a body already named, read as its head word (lower-case words, places
# before "-based" and the UN / US / EU abbreviations only; never a name's own words)
_DESCRIPTOR = r"(?:(?:[A-Z][\w.]*\s+){0,2}[A-Z][\w.]*-based|UN|U\.N\.|US|U\.S\.|EU|[a-z][a-z-]*)"
_DESCRIBED = re.compile(
    rf"(?:[Tt]he|[Tt]his|[Tt]hat)\s+(?:{_DESCRIPTOR}\s+){{1,5}}(?P<head>[a-z]+)"
)


def _described_head(who: str) -> str | None:
    """The head of a description of a body ("the Seoul-based rights group" -> "group").

    Args:
        who: The phrase.

    Returns:
        The generic head word, or ``None`` when the phrase is not such a description.
    """
    m = _DESCRIBED.fullmatch(who.strip())
    if m is None or m.group("head") not in _GENERIC_HEADS:
        return None
    return m.group("head")


def _classify(who: str) -> str | None:
    """Return the generic head of a phrase, or ``None`` when it is a name.

    Args:
        who: The phrase ("the ministry", "he", "Human Rights Watch").

    Returns:
        The head word for generic phrases, else ``None``.
    """
    low = who.lower().strip()
    if low in _PRONOUNS:
        return low
    words = low.split()
    if not words:
        return None
    if len(words) > 1 and " ".join(words[1:] if words[0] == "the" else words) in _ORGANISATIONS:
        return None  # "the unification ministry": a known body
    if (
        words[0] in ("the", "a", "an", "this", "that", "its", "his", "her", "their")
        and len(words) <= 3
        and words[-1] in _GENERIC_HEADS
        and not any(c.isupper() for c in who[1:])
    ):
        return words[-1]
    if len(words) == 1 and words[0] in _GENERIC_HEADS:
        return words[0]
    return _described_head(who)


def _clean_subject(text: str, a: int, b: int) -> tuple[int, int] | None:
    """Narrow a subject phrase to the attributed body.

    Args:
        text: Document text.
        a: Phrase start.
        b: Phrase end.

    Returns:
        (start, end) of the who-phrase, or ``None`` when it is no attribution.
    """
    while a < b and text[a] in " \t\n\"'“‘*_":
        a += 1
    section = _SECTION_NUMBER.match(text, a, b)
    if section is not None:
        a = section.end()  # "3.2 A woman from Musan": a report's paragraph number
    while b > a and text[b - 1] in " \t\n\"'”’*_":
        b -= 1
    phrase = text[a:b]
    if not phrase:
        return None
    m = _BY_FROM.match(phrase)
    if m:
        return _clean_subject(text, a + m.start("x"), b)
    m = _POSSESSIVE.match(phrase)
    if m:
        return _clean_subject(text, a + m.start("x"), a + m.end("x"))
    t = _TRAILING_DATA.search(phrase)
    if t and t.start() > 0 and phrase[: t.start()].lower() not in ("the", "a", "an", "its", "our"):
        return _clean_subject(text, a, a + t.start())
    if phrase.split()[-1].lower() in _TIME_WORDS:
        return None  # "Last year's figures show": a time, no body
    if _NUMBERED_NAME.fullmatch(phrase):
        return a, b  # "News 1", "Channel 4": a name with a number
    masked = _NAMED_NUMBER.sub(lambda n: re.sub(r"\d|No\.", "N", n.group()), phrase)
    if len(phrase.split()) > 14 or _NOT_SUBJECT.search(masked):
        return None
    if phrase.split()[0].lower() in _LEADING_PREPOSITIONS:
        return None  # "In one case reported to OHCHR": no subject
    if phrase.split()[-1].lower() in _PREPOSITIONS:
        return None
    low = phrase.lower()
    outside = _OUR_OUTSIDE.match(phrase)
    if outside is not None:
        return _clean_subject(text, a + outside.end(), b)  # "Our partners in China say"
    if low in _SKIP_SUBJECTS or low.startswith(("our ", "we ", "i ", "it ", "they ")):
        return None
    if low.startswith(("the ", "a ", "an ")) and _classify(phrase) is None:
        # "The UN Special Rapporteur ...": drop the article, keep the rest
        first = phrase.split(None, 1)
        if len(first) == 2:
            a += len(phrase) - len(first[1])
    return a, b


def _according(text: str, m: re.Match[str], end: int) -> AttributionMention | None:
    """Parse the phrase after "according to".

    Args:
        text: Document text.
        m: The "according to" match.
        end: Sentence end.

    Returns:
        The mention, or ``None``.
    """
    a = m.end()
    hard = _HARD_END.search(text, a, end)
    b = hard.start() if hard else end
    given = _DATA_GIVEN.match(text, a, b)
    if given:
        a, b = given.start("x"), given.end("x")  # "data the ministry submitted to Rep. Choi"
    by = _BY_FROM.match(text[a:b])
    if by:
        a += by.start("x")
    dated = _DATED_REPORT.match(text, a, b)
    if dated:
        a, b = dated.start("x"), dated.end("x")  # "a 2013 Global Rights Forum report"
    stop = _CLAUSE_END.search(text, a, b)
    b = stop.start() if stop else b
    phrase = text[a:b]
    d = _DESCRIPTORS.match(phrase)
    if d and d.end() < len(phrase):
        rest = phrase[d.end() :]
        if rest[:1].isupper():
            a += d.end()
            phrase = rest
    if not phrase.strip():
        return None
    role = _ROLE_NAME.match(phrase)
    if role:
        s, e = a + role.start("name"), a + role.end("name")
        return AttributionMention(text[s:e], s, e, m.start(), None)
    poss = _PLACE_POSSESSIVE.match(phrase)
    if poss is not None:
        # "Seoul's unification ministry": the body, with its country
        cleaned = _clean_subject(text, a, b)
        if cleaned is not None:
            s, e = cleaned
            who = text[s:e]
            return AttributionMention(who, s, e, m.start(), _classify(text[a + poss.end() : e]))
    if phrase[:1].isupper():
        span = _trim_name(phrase)
        if span is not None and span[0] == 0:
            s, e = a + span[0], a + span[1]
            who = text[s:e]
            return AttributionMention(who, s, e, m.start(), _classify(who))
    # a lowercase noun phrase: "sources inside North Korea", "the ministry"
    contact = _CONTACT_CLAUSE.search(phrase)
    if contact is not None:
        b = a + contact.start()  # "aid workers I have known for years": the workers
        phrase = phrase[: contact.start()]
    by_part = _INTERVIEWED_BY.search(phrase)
    if by_part is not None:
        b = a + by_part.start()  # "defectors interviewed by the Database Center"
        phrase = phrase[: by_part.start()]
    if len(phrase.split()) > 8:
        return None
    cleaned = _clean_subject(text, a, b)
    if cleaned is None:
        return None
    s, e = cleaned
    who = text[s:e]
    return AttributionMention(who, s, e, m.start(), _classify(who))


def _verb_subject(text: str, start: int, m: re.Match[str], end: int) -> AttributionMention | None:
    """Find the subject of an attributing verb.

    Args:
        text: Document text.
        start: Sentence start.
        m: The verb match (including auxiliaries).
        end: Sentence end.

    Returns:
        The mention, or ``None``.
    """
    verb = m.group("verb").lower()
    before = text[start : m.start()]
    # "an estimated 5,000", "the peak of 2,914 recorded in 2009": not attributions
    if re.search(r"\b(?:an?|the)\s*$", before, re.IGNORECASE):
        return None
    it = re.fullmatch(r"\s*(?:[A-Z][a-z]+,\s*)?(It)\s*", before)
    if it:
        # "It also puts the number at 340": the body the text spoke of last (dropped
        # when there is none, see claims.py)
        s, e = start + it.start(1), start + it.end(1)
        return AttributionMention(text[s:e], s, e, m.start(), "it")
    pron = re.search(r"\b([Hh]e|[Ss]he)\s*$", before)
    if pron:
        if _UNNAMED_PERSON.match(text, start, m.start()):
            return None  # "One man ... spent 3,000 days in a camp, he said": nobody named
        s, e = start + pron.start(1), start + pron.end(1)
        return AttributionMention(text[s:e], s, e, m.start(), text[s:e].lower())
    cut = max(before.rfind(ch) for ch in ',;:—–("“”')
    seg_start = start + cut + 1 if cut >= 0 else start
    while seg_start < m.start() and text[seg_start].isspace():
        seg_start += 1
    prefix = _TIMELINE_PREFIX.match(text, seg_start, m.start())
    if prefix is not None:
        seg_start = prefix.end()  # "Aug 17    Relatives in Seoul say ..."
    speaker = _SPEAKER_MARK.match(text, seg_start, m.start())
    if speaker is not None:
        seg_start = speaker.end()  # a transcript's "A. Our records show ...": "A." is no name
    cleft = _CLEFT.search(text, seg_start, m.start())
    if cleft is not None:
        seg_start = cleft.end()  # "What we know is that the UN commission estimated"
    lead = _LEAD_TIME.match(text, seg_start, m.start())
    if lead is not None:
        seg_start = lead.end()
    subject_end = m.start()
    relative = _RELATIVE_IN_SUBJECT.search(text, seg_start, m.start())
    if relative is not None and relative.start() > seg_start:
        subject_end = relative.start()
    contact = _CONTACT_CLAUSE.search(text, seg_start, subject_end)
    if (
        contact is not None
        and contact.start() > seg_start
        and not _WH_WORD.match(text, seg_start, contact.start())
    ):
        subject_end = contact.start()  # "A Thai immigration officer I have known told me"
    by_part = _INTERVIEWED_BY.search(text, seg_start, subject_end)
    if by_part is not None and by_part.start() > seg_start:
        subject_end = by_part.start()  # "A former guard interviewed by researchers said"
    phrase = text[seg_start:subject_end].strip()
    owner = _DATA_OWNER.match(phrase)
    if owner is not None:
        if owner.group("mod").split()[0] in _NOT_OWNERS:
            return None
        if owner.group("mod") in _GENERIC_HEADS:
            # "ministry data show": the ministry named before
            s = seg_start + text[seg_start : m.start()].find(owner.group("mod"))
            e = s + len(owner.group("mod"))
            return AttributionMention(text[s:e], s, e, m.start(), owner.group("mod"))
        s = seg_start + (
            len(text[seg_start : m.start()]) - len(text[seg_start : m.start()].lstrip())
        )
        s += phrase.find(owner.group("mod"))
        e = seg_start + len(text[seg_start : m.start()].rstrip())
        return AttributionMention(text[s:e], s, e, m.start(), None)
    if not phrase:
        # inverted: ", said Irina Volkova, a lawyer"
        if verb.startswith(("said", "says", "told")):
            after = text[m.end() : end]
            inv = re.match(rf"\s+({_NAME.pattern})", after)
            if inv:
                span = _trim_name(inv.group(1))
                if span is not None:
                    s = m.end() + inv.start(1) + span[0]
                    e = m.end() + inv.start(1) + span[1]
                    who = text[s:e]
                    return AttributionMention(who, s, e, m.start(), _classify(who))
            described = _SAID_DESCRIBED.match(text, m.end(), end)
            if described is not None and (
                described.group("name") or _source_phrase(described.group("desc"))
            ):
                part = "name" if described.group("name") else "desc"
                s, e = described.start(part), described.end(part)
                if part == "name":
                    span = _trim_name(text[s:e])
                    if span is None:
                        return None
                    s, e = s + span[0], s + span[1]
                who = text[s:e]
                return AttributionMention(who, s, e, m.start(), _classify(who))
        app = _APPOSITIVE.search(before)
        if app is not None:
            head_words = re.sub(
                r"^(?:\d{1,2}(?:\.\d{1,2})+\s+)?(?:[Tt]he\s+)?", "", app.group("head").strip()
            )
            if _APPOSITION_HEAD.match(app.group("app")) and head_words[:1].isupper():
                part = "head"  # "Park Sun-hee, a former inmate of Camp 18, told"
            elif _AGE_APPOSITION.fullmatch(app.group("app")) and head_words[:1].isupper():
                part = "head"  # "A man from Chongjin, 52, testified"
            elif _INTERVIEWED_BY.match(" " + app.group("app").strip()):
                part = "head"  # "A former prisoner, interviewed by OHCHR in 2022, stated"
            elif app.group("app")[:1].isupper() and _is_proper(app.group("app").strip()):
                part = "app"  # "A separate think tank, KINU, put the number at"
            else:
                part = ""
            if part:
                cleaned = _clean_subject(text, start + app.start(part), start + app.end(part))
                if cleaned is not None:
                    s, e = cleaned
                    who = text[s:e]
                    return AttributionMention(who, s, e, m.start(), _classify(who))
        # "X, which helps ..., said": skip back over a relative clause
        segs = re.split(r"[,;]", before)
        if len(segs) >= 3 and re.match(r"\s*(?:which|who)\b", segs[-2]):
            head = segs[-3]
            s0 = start + len(",".join(segs[:-3])) + (1 if len(segs) > 3 else 0)
            cleaned = _clean_subject(text, s0, s0 + len(head))
            if cleaned is None:
                return None
            s, e = cleaned
            who = text[s:e]
            return AttributionMention(who, s, e, m.start(), _classify(who))
        return None
    cleaned = _clean_subject(text, seg_start, subject_end)
    if cleaned is None:
        return None
    s, e = cleaned
    who = text[s:e]
    role = _ROLE_NAME.match(who)
    if role:
        s, e = s + role.start("name"), s + role.end("name")
        return AttributionMention(text[s:e], s, e, m.start(), None)
    if who.lower() in _SKIP_SUBJECTS:
        return None
    if not who[:1].isupper() and _classify(who) is None and not _source_phrase(who):
        return None
    if who.split()[0].lower() in _NOT_OWNERS and len(who.split()) == 1:
        return None  # "Preliminary figures showed": no body
    return AttributionMention(who, s, e, m.start(), _classify(who))


_SPEAKER_MARK = re.compile(r"\s*(?:[QA]|MODERATOR|SPOKESPERSON)\s*[.:]\s+")
_APPOSITIVE = re.compile(r"(?P<head>[^,;:()“”\"]+),\s*(?P<app>[^,;:()“”\"]+),\s*$")
_APPOSITION_HEAD = re.compile(r"\s*(?:a|an|the|one|another|now|then)\s", re.IGNORECASE)
_SOURCE_PHRASE = re.compile(
    r"(?:(?:the|a|an|her|his|their|its|our|one|two|three|several|some|many)\s+)?"
    r"(?:[\w'’-]+\s+){0,3}?(?P<head>[a-z]+)"
    r"(?:\s+(?:in|at|for|of|from|on|[a-z]+ed|based|working|living"
    r"|(?:familiar|close|acquainted)\s+with)\b[\w'’ -]{0,40})?"
)


def _source_phrase(who: str) -> bool:
    """Whether a lower-case phrase names a source ("a rights group in Seoul", "her brother").

    Its head -- the last word, or the word before "in / at / for ..." -- must be
    a noun for a body or a person who can be a source.

    Args:
        who: The phrase.

    Returns:
        True for a source.
    """
    if len(who.split()) > 8:
        return False
    m = _SOURCE_PHRASE.fullmatch(who.strip())
    if m is None:
        return False
    return m.group("head").lower() in (_PLURAL_SOURCES | _GENERIC_HEADS | _FAMILY)


def _agent(text: str, m: re.Match[str], end: int) -> AttributionMention | None:
    """The body after a passive count's "by" or a case's "reported to".

    Args:
        text: Document text.
        m: A ``_PASSIVE_BY`` or ``_REPORTED_TO`` match.
        end: Sentence end.

    Returns:
        The mention, or ``None`` when the phrase names no body or source.
    """
    a = m.start("x")
    stop = _CLAUSE_END.search(text, a, min(m.end("x"), end))
    b = stop.start() if stop else m.end("x")
    cleaned = _clean_subject(text, a, b)
    if cleaned is None:
        return None
    s, e = cleaned
    span = _trim_name(text[s:e]) if text[s : s + 1].isupper() else None
    if span is not None:
        s, e = s + span[0], s + span[1]
    who = text[s:e]
    generic = _classify(who)
    if generic is None and not _is_proper(who) and not _source_phrase(who):
        return None
    return AttributionMention(who, s, e, m.start(), generic)


def find_attributions(text: str, start: int, end: int) -> list[AttributionMention]:
    """Find attribution phrases in one sentence.

    Args:
        text: Document text.
        start: Sentence start.
        end: Sentence end.

    Returns:
        Mentions in text order (not yet resolved).
    """
    out: list[AttributionMention] = []
    for m in _ACCORDING.finditer(text, start, end):
        mention = _according(text, m, end)
        if mention is not None:
            out.append(mention)
    for m in _VERB.finditer(text, start, end):
        mention = _verb_subject(text, start, m, end)
        if mention is not None and not any(o.start == mention.start for o in out):
            if m.group("verb").lower().startswith("attribut"):
                mention = replace(mention, local=True)
            out.append(mention)
    for m in (*_PASSIVE_BY.finditer(text, start, end), *_REPORTED_TO.finditer(text, start, end)):
        mention = _agent(text, m, end)
        if mention is not None and not any(o.start == mention.start for o in out):
            out.append(mention)
    for m in _POSS_ANY.finditer(text, start, end):
        a = m.start("x")
        if text[a : a + 4].lower() == "the ":
            generic = _classify(m.group("x"))
            if generic is None:
                a += 4
        else:
            generic = _classify(m.group("x"))
        b = m.end("x")
        if any(o.start <= a < o.end or a <= o.start < b for o in out):
            continue
        words = text[a:b].split()
        if words[0].lower() in _LEADING_PREPOSITIONS or words[-1].lower() in _TIME_WORDS:
            continue  # "At February's count", "last year's figures": a time, no body
        out.append(AttributionMention(text[a:b], a, b, a, generic))
    out.sort(key=lambda x: x.anchor)
    return out


def _head_pattern(head: str) -> re.Pattern[str]:
    """The whole-word, case-insensitive pattern of a generic head ("ministry").

    Args:
        head: The head word.

    Returns:
        The compiled pattern.
    """
    return re.compile(rf"\b{re.escape(head)}\b", re.IGNORECASE)


#: The heads a generic mention can have (see :func:`_classify`), compiled once.
_HEAD_PATTERNS: Mapping[str, re.Pattern[str]] = MappingProxyType(
    {h: _head_pattern(h) for h in sorted(_GENERIC_HEADS | _PRONOUNS)}
)


@dataclass
class AttributionResolver:
    """Resolves generic mentions against the named mentions read so far in a document.

    :meth:`add` each mention (with its resolved name) in text order; :meth:`resolve`
    then answers in constant time however many mentions came before, by
    keeping the latest name of each kind instead of searching them all.

    Attributes:
        named: The named (non-generic) mentions so far.
        by_head: The latest name containing each generic head word.
        person: The latest proper name that is not an organisation.
        organisation: The latest proper name of an organisation.
        resolved: The latest resolved name of a mention that is not a pronoun.
        noted_by_head: As ``by_head``, for bodies named outside attributions.
        noted_organisation: The latest organisation named outside attributions.
    """

    named: list[str] = field(default_factory=list)
    by_head: dict[str, str] = field(default_factory=dict)
    person: str | None = None
    organisation: str | None = None
    resolved: str | None = None
    noted_by_head: dict[str, str] = field(default_factory=dict)
    noted_organisation: str | None = None

    def add(self, mention: AttributionMention, who: str) -> None:
        """Record a mention of the document and the name it was resolved to.

        Args:
            mention: The mention.
            who: Its resolved name.
        """
        if mention.generic is None:
            name = mention.who
            self.named.append(name)
            for head, pattern in _HEAD_PATTERNS.items():
                if pattern.search(name):
                    self.by_head[head] = name
            if _is_proper(name):
                if _is_org(name):
                    self.organisation = name
                else:
                    self.person = name
        if mention.generic not in _PRONOUNS:
            self.resolved = who

    def note(self, name: str) -> None:
        """Record a body the document names outside any attribution.

        "A new report from the Asia Policy Forum ... The report says": a later
        generic mention may refer to it. Only organisations are noted (see
        :func:`document_bodies`).

        Args:
            name: The body's name as written.
        """
        for head, pattern in _HEAD_PATTERNS.items():
            if pattern.search(name):
                self.noted_by_head[head] = name
        self.noted_organisation = name

    def resolve(self, mention: AttributionMention) -> str:
        """Resolve a mention against the mentions added so far.

        "the ministry" becomes the last earlier name containing "ministry";
        "the group" / "the organisation" the last earlier organisation name;
        "he" / "she" the last earlier person's name, else the last attributed
        name; "the same sources" the last attributed name. Unresolvable
        mentions keep their text.

        Args:
            mention: The mention.

        Returns:
            The attributed name.
        """
        if _THE_SAME.match(mention.who) and self.resolved is not None:
            return self.resolved  # "The same sources say ...": the source named last
        head = mention.generic
        if head is None:
            return mention.who
        if head in _HEAD_PATTERNS:
            match = self.by_head.get(head)
        else:  # a head no mention of this module produces: search the names
            pattern = _head_pattern(head)
            match = next((who for who in reversed(self.named) if pattern.search(who)), None)
        if match is not None:
            return match
        if head in _PRONOUNS:
            if self.person is not None:
                return self.person
            if self.resolved is not None:
                return self.resolved
            return mention.who
        if head == "it":  # a body, never a person
            return self.organisation or self.noted_organisation or mention.who
        if head in _ORG_GENERIC and self.organisation is not None:
            return self.organisation
        # bodies the document named without attributing anything to them: a last resort
        noted = self.noted_by_head.get(head)
        if noted is None and head in _ORG_GENERIC:
            noted = self.noted_organisation
        return noted if noted is not None else mention.who


_THE_SAME = re.compile(r"(?:the\s+)?same\b", re.IGNORECASE)
_CONNECTORS = frozenset({"of", "for", "on", "and", "&", "de", "du", "la", "the", "in"})


def document_bodies(text: str, start: int, end: int) -> list[str]:
    """The organisations a sentence names, wherever they stand in it.

    A capitalised run of words counts when it ends in an organisation word
    ("Asia Policy Forum", "Justice Mapping Initiative") or has one followed by
    "of" / "for" ("Ministry of Unification", "Citizens' Alliance for North
    Korean Human Rights"), or when it is a known body's name or alias ("HRW");
    a headline's run ("Rights Group Wants China") does not.

    Args:
        text: Document text.
        start: Sentence start.
        end: Sentence end.

    Returns:
        The names, in text order (a leading "The" and a possessive dropped).
    """
    out: list[str] = []
    runs = (
        part
        for m in _NAME.finditer(text, start, end)
        for part in re.split(r"\s+(?:and|&)\s+", m.group(0))
    )
    for run in runs:
        name = re.sub(r"^(?:[Tt]he|An?|an?)\s+", "", run)
        name = re.sub(r"(?<=[a-z]{2})\.$", "", name)  # a sentence's full stop, not "U.S."
        name = re.sub(r"['’]s?$", "", name)
        cut = re.search(r"\s+in\s+", name)  # "Center for Strategic Studies in Washington"
        if cut and len(name[: cut.start()].split()) > 1:
            name = name[: cut.start()]
        name = re.sub(rf"(?:\s+{_CONNECT})+$", "", name)
        words = name.split()
        if not words:
            continue
        low = [w.strip("'’").lower() for w in words]
        known = " ".join(words).casefold() in _ORGANISATIONS
        ends = len(words) > 1 and low[-1] in _ORG_WORDS
        leads = any(
            w in _ORG_WORDS and i + 1 < len(low) and low[i + 1] in ("of", "for", "on")
            for i, w in enumerate(low)
        )
        if known or ends or leads:
            out.append(name)
    return out


def resolve(mention: AttributionMention, earlier: Sequence[tuple[AttributionMention, str]]) -> str:
    """Resolve a generic mention against earlier mentions (see :class:`AttributionResolver`).

    Args:
        mention: The mention.
        earlier: Earlier mentions of the document with their resolved names,
            in order.

    Returns:
        The attributed name.
    """
    resolver = AttributionResolver()
    for m, who in earlier:
        resolver.add(m, who)
    return resolver.resolve(mention)


def _is_proper(who: str) -> bool:
    """Whether every content word of a phrase is capitalised.

    Args:
        who: A name.

    Returns:
        True for proper names such as "Liberty in North Korea".
    """
    words = [
        w
        for w in who.split()
        if w.lower() not in ("of", "for", "on", "and", "&", "de", "the", "in")
    ]
    return bool(words) and all(w[:1].isupper() for w in words)


def _is_org(who: str) -> bool:
    """Whether a proper name looks like an organisation rather than a person.

    Args:
        who: A name.

    Returns:
        True when it contains an organisation word.
    """
    return any(w.strip("'’s").lower() in _ORG_WORDS for w in who.split())


def _read_organisations() -> Mapping[str, str]:
    """Read ``data/organisations.csv``: the names a body goes by, and the one it is given.

    Returns:
        Case-folded alias (and canonical name) -> canonical name.
    """
    raw = (
        resources.files("crossings.evidence.extract")
        .joinpath("data/organisations.csv")
        .read_text(encoding="utf-8")
    )
    table: dict[str, str] = {}
    for row in csv.DictReader(io.StringIO(raw)):
        canonical = row["canonical"].strip()
        table[canonical.casefold()] = canonical
        for alias in (row.get("aliases") or "").split("|"):
            if alias.strip():
                table[" ".join(alias.split()).casefold()] = canonical
    return MappingProxyType(table)


_ORGANISATIONS = _read_organisations()


def canonical_name(who: str) -> str:
    """The name a body goes by in the evidence base ("MOU" -> "Ministry of Unification").

    Only exact aliases of ``data/organisations.csv`` (case-insensitive) are
    replaced; any other name is returned as written.

    Args:
        who: An attributed name.

    Returns:
        The canonical name, or ``who``.
    """
    key = " ".join(who.split()).casefold()
    if key.startswith("the "):
        key = key[4:]
    return _ORGANISATIONS.get(key, who)
