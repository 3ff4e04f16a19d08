"""Rule-based claim extraction (standard library ``re`` and the word lists of this package).

How a number becomes a claim:

0. Without a publication date, the document's own is used: its dateline
   ("SEOUL, January 17, 2025 —") or a "Published:" line
   (:func:`~crossings.evidence.extract.furniture.document_date`). Page
   furniture is found once (:mod:`~crossings.evidence.extract.furniture`):
   footnote marks, slide and view counters, tables of contents, front
   matter, footnote lines, time stamps, lists of other headlines, datelines.
   Its numbers are never candidates and its dates never periods.
1. The text is split into paragraphs (blank lines) and sentences of at most
   1,000 characters (:mod:`~crossings.evidence.extract.segment`); a
   paragraph of items (slides, timelines, tables, headline lists) is cut at
   its line breaks first.
2. Every number (digits or words, with scale words and percent signs:
   :mod:`~crossings.evidence.extract.numerals`) is a candidate unless it is a
   trap: part of a date or period expression, a year, a place name ("Camp
   14"), money (``$25``, "5,000 and 30,000 yuan"), an age ("a 34-year-old",
   "Kang, 34,", "aged between 19 and 54"), a unit that is not people ("57 kg",
   "31 miles", "five sports", "23 years"), an identifier or reference ("No.
   25", "Resolution 2397", "EIN 12-3456789", "Page 2 of 4", "Episode 3",
   "501(c)(3)", "COVID-19"), a licence version ("CC BY 4.0"), a phone number, a
   time of day, a URL or e-mail, a dateline ("SEOUL, Jan 25 -"), a sample size
   ("interviews with 610 escapees"), a survey answer ("51 said"), or a
   proportion in words ("two in five", "out of every ten ..., seven").
3. Subject: the best subject cue of the sentence
   (:mod:`~crossings.evidence.extract.lexicon`), scored by strength, distance
   and clause boundaries; a cue never counts across another candidate number,
   cues inside a relative clause about the number ("who had been held in
   detention were forcibly returned") and across "while"/"but" count less, a
   share's base population wins ("Of those executed, 35 percent ..."), and of
   two coordinated verbs the later one wins ("caught ... and handed back",
   "detained ... before being repatriated"); a participle before the head
   noun or right after it yields to the main verb ("110 repatriated workers
   were sent to camps", "26 defectors living in the South took their own
   lives").
   Nouns such as "workers" or "brokers" need a strong cue right next to them.
   A number compared with an earlier one ("down from 1,418") takes that
   one's subject. A number with no cue inherits the subject of an antecedent
   claim (the first claim of the latest sentence with claims) when it refers
   back ("of whom", "of them", "the figure", "were women", "Ten were ...",
   "the 196"), or, for a bare number or share in a sentence of prose, when a
   claim came earlier in the same paragraph; a bare number in an item under
   a short heading ("- 2016: 1,418" under "Arrivals in the South", a table
   row under "| Year | Arrivals |") takes the heading's subject. A count of
   five million people or more with no other subject is a ``population``
   (not the members of a movement). "of those who ..." defines its group and
   refers back to nothing; "Of the 27, 23 were ..." refers back to the 27.
   A count of things ("the number of sea crossings ... at three", "two
   engines") is no claim and stands in the way of no other number.
   Cues for emigration, asylum elsewhere and re-entry to the North
   (subject ``other``) outweigh the rest: such a number is no claim.
   Otherwise the number is not a claim.
   A time spent imprisoned or detained, or a prison term ("23 years in a
   camp", "sentenced to 15 years", "a six-month sentence"), is a *duration*
   claim: unit years / months / weeks / days, no period,
   ``extra["measure"] == "duration"``; it never hides the period of another
   number.
4. Period (:mod:`~crossings.evidence.extract.periods`): the nearest period
   expression of the sentence not separated by another candidate number
   (numbers joined by "out of" count as one); if all are taken, the period of
   the sentence's previous claim; else the antecedent's period when the
   number refers back; else ``None``. Vague expressions ("before the
   pandemic", "in recent years") give ``None``. A day named as the time of
   reporting ("the ministry said on Tuesday", "told parliament in November
   that ...") is not a period; neither is a "since" after a superlative
   ("the most since the pandemic began"), a period across a semicolon or in
   a relative clause about a name (", which ended on Sunday"). "Today" with a
   state ("are held", "live") is a stock to publication, with an event a day.
   A number whose sentence calls it cumulative or a milestone passed
   ("topped 30-thousand in November 2016") is a stock: its period becomes
   cumulative-to, and ``extra["measure"]`` says ``stock`` (any
   cumulative-to period) or ``flow``. "Respectively" pairs numbers and
   periods in order. A count a change reached ("rose 12.7 percent from a
   year earlier to 224") takes the sentence's period, not the comparison's;
   "in the same period" in the next sentence is the period of this
   sentence's main (first) figure.
5. Attribution (:mod:`~crossings.evidence.extract.attribution`): the nearest
   attribution phrase in the sentence; else the nearest one in an earlier
   sentence of the same paragraph. Generic mentions ("the ministry", "the
   group", "he") are resolved to earlier names in the document. The
   publisher's own voice ("we estimate", "our researchers") is no
   attribution. Names of bodies are given in the form of
   ``data/organisations.csv`` ("unification ministry" -> "Ministry of
   Unification", "HRW" -> "Human Rights Watch").
   A question ("Is it true that 600 were returned?") makes no claim, and the
   numbers of a title line that the body states again are the body's claims
   only ("Timeline: nine young North Koreans sent back from Laos").
6. Ranges ("between 80,000 and 120,000", "200 to 600", "200-600") become two
   claims with the same quote: the low end with qualifier "at least", the
   high end with "up to"; both carry ``extra["range_low"]``,
   ``extra["range_high"]`` and ``extra["range_role"]``.
7. Percentages are shares (``kind="share"``, value as a fraction) or, next to
   words of change ("a 17.7 percent drop", "fell by 31%"), rates of change
   (``kind="rate"``, ``unit="percent change"``, signed fraction).
8. Vague quantities ("hundreds", "dozens", "tens of thousands") are never
   numbers, so never claims; "a dozen" is 12 with qualifier "about".

Span convention: ``start``/``end``/``quote`` cover the whole sentence that
contains the number (sentences longer than 400 characters are cut to a
window of about 200 characters either side of the number, at word
boundaries), so ``text[start:end] == quote``. The number phrase itself is in
``extra["number_start"]``, ``extra["number_end"]`` and ``extra["number_text"]``;
``extra["subject_source"]`` and ``extra["period_source"]`` say how subject
and period were found. ``confidence`` is 0.5, plus 0.25 / 0.15 for a strong /
defining subject cue, plus 0.1 for a period found in the sentence, plus 0.05
for an attribution, minus 0.1 for an inherited subject (clamped to 0.1-0.95).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from crossings.evidence.extract.attribution import (
    AttributionMention,
    AttributionResolver,
    canonical_name,
    document_bodies,
    find_attributions,
)
from crossings.evidence.extract.furniture import document_date, furniture_spans
from crossings.evidence.extract.lexicon import (
    CAMP_WORDS,
    GENERIC_PEOPLE,
    HEAD_SKIP,
    NON_CLAIM_SUBJECTS,
    NON_PEOPLE_UNITS,
    OTHER_PEOPLE,
    Cue,
    find_cues,
)
from crossings.evidence.extract.numerals import (
    NumberMention,
    find_numbers,
    qualifier_after,
    qualifier_before,
)
from crossings.evidence.extract.periods import PeriodMention, find_periods
from crossings.evidence.extract.places import PlaceMention, gazetteer_for
from crossings.evidence.extract.segment import Sentence, segment
from crossings.evidence.types import Attribution, ExtractedClaim, NamedPeriod, Period, Qualifier

__all__ = ["EXTRACTOR_VERSION", "extract_claims"]

EXTRACTOR_VERSION = "rules-2.10"
_MAX_QUOTE = 400

# --------------------------------------------------------------------------- trap patterns

_TRAP_SPANS = re.compile(
    r"https?://\S+|www\.\S+|\S+@\S+\.\w+"  # URLs, e-mail
    r"|(?<![\w,.])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{1,4}\)[\s.-]?)?\d{2,5}(?:[\s.-]\d{2,5}){2,}(?![\w,])"
    r"|\b(?:[01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d)?\s*(?:a\.?m\.?|p\.?m\.?)?(?!\d)"
    r"|\b(?:[01]?\d|2[0-3])\.[0-5]\d\s*(?:a\.?m\.?|p\.?m\.?)|\b\d{1,2}\s*(?:a\.m\.|p\.m\.|am\b|pm\b)"
    r"|\bCC[\s-]+BY(?:[\s-]+(?:NC|SA|ND))*[\s-]+\d(?:\.\d)?"  # licences
    r"|\b(?:version|v)\s*\d+(?:\.\d+)+"
    r"|\b501\(c\)\(\d\)"
    r"|\d[\d,.]*\s*(?:-|–|to|and)\s*\d[\d,.]*\s*(?:yuan|won|dollars?|euros?|pounds|usd|krw|rmb)\b"
    r"|(?:[$£€¥₩]|\b(?:US|HK|A|C|NZ)\$|\b(?:USD|KRW|RMB|EUR|GBP)\s?)\s?\d[\d,]*(?:\.\d+)?"
    r"(?:\s*(?:million|billion|thousand|mn|bn|m|k)\b)?",
    re.IGNORECASE,
)
_RATIO = re.compile(
    r"\b(?:one|two|three|four|five|six|seven|eight|nine|ten|\d{1,2})\s+(?:in|out\s+of)\s+"
    r"(?:two|three|four|five|six|seven|eight|nine|ten|\d{1,3})\b",
    re.IGNORECASE,
)
# "Four fishermen whose boat was found drifting last week have asked to stay in ...",
# "11 residents accused of organising crossings were sentenced": a (reduced) relative
# clause between a noun and its own verb
_RELATIVE_THEN_VERB = re.compile(
    r"\s*(?:[\w'’-]+\s+){0,4}?,?\s*(?:who|whose|that|accused\s+of|charged\s+with"
    r"|convicted\s+of|found\s+guilty\s+of|suspected\s+of)\b[^,;.]{0,100}?"
    r"\b(?:(?:have|has|had)\s+(?:since\s+|later\s+|now\s+|all\s+)?been|have|has|had|were|was|are|is)"
    r"\s+(?:(?:later|since|then|reportedly|all|also)\s+)?$",
    re.IGNORECASE,
)
# "the most since the pandemic began", "the first time since 2001": a record, not a period
_SUPERLATIVE_SINCE = re.compile(
    r"\b(?:the\s+)?(?:most|highest|lowest|largest|smallest|fewest|biggest|first|best|worst)"
    r"(?:\s+[\w-]+){0,3}\s*$",
    re.IGNORECASE,
)
_SINCE_KINDS = frozenset({"since", "since_clause", "since_named", "since_span"})
# ", which ended on Sunday": a relative clause about something else
_WHICH_BETWEEN = re.compile(r"\b[A-Z][\w'’-]*,\s*(?:which|whose)\b")
_PART_OF = re.compile(r"\s+of\s+(?:the|these|those|its|their)\s+([A-Za-z]+)\b")
_SUBCLAUSE = re.compile(r"\b(?:when|after|before|while|as|since|until|because)\b", re.IGNORECASE)
_AMONG_BEFORE = re.compile(
    r"\b(?:(?:were|was|are|is)\s+)?among\s+(?:the\s+|last\s+year's\s+|this\s+year's\s+|[\d,]+\s+)?$",
    re.IGNORECASE,
)
# "11 women, three men and a boy": one group for blocking, so the verb after it reaches all
_ENUM_JOIN = re.compile(
    r"^\s+(?:women|men|girls|boys|children|adults|minors|males|females|teenagers)"
    r"\s*(?:,\s*(?:and\s+)?|\s+and\s+)$",
    re.IGNORECASE,
)
_ENUM_HEAD = re.compile(
    r"\s+(?:[\w'’-]+\s+)?(?:women|men|girls|boys|children|adults|minors|males|females|teenagers)\b",
    re.IGNORECASE,
)
_GROUP_JOIN = re.compile(
    r"^\s+(?:[\w'’-]+\s+){0,3}?(?:out\s+of|of\s+the)\s+$"
    r"|^\s+(?:[\w'’-]+\s+){0,3}[\w'’-]+\s*(?:--|—|–|\(|,)\s*$"
    r"|^-?[\w'’-]*(?:\s+[\w'’-]+){0,3}\s*,\s+including\s+$",
    re.IGNORECASE,
)
# _BASE_BEFORE and _SUBSET_START are used with .fullmatch(text, sentence start, pos)
_BASE_BEFORE = re.compile(
    r"\W*(?:(?:but|and|yet)\s+)?(?:of|among)\s+"
    r"(?:(?:those|the|these|all|last\s+year's|this\s+year's)\s+)?"
    r"(?:[\d,]+\s+)?(?:[\w'’-]+\s+){0,3}",
    re.IGNORECASE,
)
# "70 percent of Monday's returnees": the group a share is taken of
_SHARE_OF = re.compile(
    r"\s*(?:%|percent|per\s+cent)?\s+of\s+(?:(?:the|these|those|all|[\w-]+['’]s)\s+)?"
    r"(?:[\w-]+\s+){0,2}?",
    re.IGNORECASE,
)
# "Four others received terms ...", "The remaining five were given ...": the rest of a group
_OTHERS_AFTER = re.compile(r"[ \t]+others\b", re.IGNORECASE)
_REMAINING_BEFORE = re.compile(r"\b(?:the\s+)?remaining\s+$", re.IGNORECASE)
_SUBSET_START = re.compile(
    r"\s*(?:(?:of|among)\s+(?:them|these|those|whom)\s*,?\s*)?", re.IGNORECASE
)
# "53 people executed ..., 19 of them for helping others escape": a part of the group named
# just before, with no verb of its own (matched with .match(text, pos, end))
_PARTITIVE_AFTER = re.compile(
    r"\s+of\s+(?:them|whom|those|these)\b(?!\s+(?:were|was|are|is|had|have|has|later|then"
    r"|also|would|will|could|remain|remained)\b)",
    re.IGNORECASE,
)
_APPOSED_BEFORE = re.compile(r"[,;—–(]\s*(?:including\s+)?$", re.IGNORECASE)
# matched with .match(text, pos, end): no "^", the match starts at pos
_SUBSET_VERB = re.compile(
    r"\s+(?:of\s+(?:them|whom|those|these)\s+)?(?:were|was|are)\b", re.IGNORECASE
)
_ID_SEQUENCE = re.compile(r"(?<![\w.,])\d[\d,]*(?:\s*[-–/]\s*\d[\d,]*)+(?![\w])")
_PREFIX_TRAP = re.compile(
    r"(?:\b(?:No|Nos|Number|Camp|Kwanliso|Resolution|Article|Section|Page|p|pp|Episode|Chapter"
    r"|Room|Route|Highway|Unit|Division|Flight|Bus|Platform|Gate|Level|Grade|Class|Size|Vol"
    r"|Volume|Issue|Item|Question|Case|EIN|ID|Tel|Phone|Fax|Fig|Figure|Table|Lot|Channel|Line"
    r"|Day|Week|Season|Act|Order|Decree|Paragraph|Box|Suite|Apt|Floor|Version|Rule|Part|Step"
    r"|Stage|Phase|Team|Group|Zone|Sector|Block|Ward|District|Gate|Pier|Terminal|Track"
    r"|Exhibit|Annex|Appendix|Note|Footnote|Ref|Reference|Code|Form|Model|Series|Batch|Lane"
    r"|Street|Road|Avenue|aged|age|ages|resolution|number|page|episode|room|grade|class|day"
    r"|week|season|article|section|chapter|camp|kwanliso|round)\.?\s*"
    r"|#\s*|\bNo\.\s*|\bpage\s+\d+\s+of\s+|\bp\.\s*\d+\s+of\s+)$"
)
_SUFFIX_TRAP = re.compile(
    r"^(?:-(?:year|month|week|day|hour|minute|kilomet|km|mile|metre|meter|page|foot|feet|storey"
    r"|floor|point|inch|acre|hectare|ton|kg|lb|game|match|seat|bed|room|mm|cm|km)"
    r"|\s*(?:years?|yrs?)[-\s]+old\b|\s*(?:st|nd|rd|th)\b|\s*\(\s*[a-z]\s*\)|\s*/\s*\d"
    r"|\s*(?:yuan|won|dollars?|euros?|pounds|usd|krw|rmb|cents?)\b|\s*[a-z]{1,2}\d"
    r"|\s+[A-Z][a-z]+\s+(?:Street|St\.?|Road|Rd\.?|Avenue|Ave\.?|Square|Lane|Boulevard|Place)\b)"
)
# "a six-month sentence", "a 15-year prison term": a duration, not a unit to skip
_TERM_SUFFIX = re.compile(
    r"-(?:year|month|week|day)s?[-\s]+(?:(?:prison|jail|labou?r|camp)\s+)?(?:sentence|term)",
    re.IGNORECASE,
)
_AGE_AFTER_NAME = re.compile(r"[A-Z][\w'-]+,\s*$")
_AGE_OF_PERSON = re.compile(
    r"\b(?:boy|girl|child|son|daughter|baby|toddler|teenager|man|woman)\s+of\s+"
    r"(?:about\s+|around\s+|roughly\s+|some\s+)?$|,\s*now\s+(?:aged\s+)?$"
    # "children under ten", "minors below 18"
    r"|\b(?:children|boys|girls|kids|minors|teenagers)\s+(?:under|below|younger\s+than|over|aged)\s+"
    r"(?:the\s+age\s+of\s+)?$"
    # "the youngest was 14", "The youngest member of the team is 15"
    r"|\b(?:youngest|oldest|eldest)(?:\s+[\w-]+){0,4}?\s+(?:was|is|were|are)\s+"
    r"(?:just\s+|only\s+|about\s+|aged\s+|barely\s+)?$",
    re.IGNORECASE,
)
_AGE_RANGE_BEFORE = re.compile(
    r"\b(?:aged?|ages)\s+(?:of\s+)?(?:between\s+|from\s+)?(?:\d+\s+(?:and|to|-|–)\s*)?$",
    re.IGNORECASE,
)
_SAMPLE_BEFORE = re.compile(
    r"\b(?:interview(?:s|ed|ing)?(?:\s+with)?|survey(?:s|ed|ing)?(?:\s+of)?|poll(?:ed)?(?:\s+of)?"
    r"|spoke\s+(?:to|with)|spoken\s+(?:to|with)|talked\s+to|met(?:\s+with)?|relatives\s+of"
    r"|families\s+of|testimon(?:y|ies)\s+(?:of|from)|accounts\s+of|sample\s+of|questioned"
    r"|consult(?:ed|ations?)(?:\s+with)?)"
    r"\s+(?:[\w'-]+\s+){0,2}$",
    re.IGNORECASE,
)
_OF_PLACE_THEN_VERB = re.compile(
    r"\s*(?:of|from|in)\s+[A-Z][\w'’-]*(?:(?:\s+|,\s*)(?:[A-Z][\w'’-]*|province|county|city"
    r"|district|region))*,?\s+(?:were|was|are|is|had\s+been|have\s+been|has\s+been)\s+"
    r"(?:[a-z]+ly\s+)?"
)
_DETENTION_PLACE = re.compile(
    r"\b(?:detention\s+)?(?:cent(?:re|er)|facilit(?:y|ies)|police\s+stations?|holding\s+cells?"
    r"|jails?)\b",
    re.IGNORECASE,
)
_RESPONDENTS_AFTER = re.compile(
    r"\s+of\s+(?:our\s+|the\s+|all\s+|these\s+)?(?:respondents|interviewees|participants"
    r"|those\s+(?:surveyed|interviewed|polled|questioned))\b",
    re.IGNORECASE,
)
_ACCORDING_TO_END = re.compile(r"\baccording\s+to\s+(?:at\s+least\s+)?$", re.IGNORECASE)
_SOURCE_NOUN_AFTER = re.compile(
    r"\s+(?:[\w-]+\s+)?(?:people|persons|officials|sources|diplomats|residents|witnesses"
    r"|activists|aid\s+workers|relatives)\b",
    re.IGNORECASE,
)
_ARTICLE_LIST_BEFORE = re.compile(
    r"\b(?:articles?|arts?\.|paragraphs?|sections?|rules?)\s+(?:\d+[a-z]?\s*(?:,|and|or|&)\s*)*$",
    re.IGNORECASE,
)
_FRACTION_AFTER = re.compile(r"-(?:quarters?|thirds?|fifths?|tenths?)\b", re.IGNORECASE)
_CROWD_AROUND = re.compile(
    r"\b(?:crowds?|audiences?|spectators|onlookers)\s+(?:at|of)\s+(?:about\s+|some\s+|around\s+"
    r"|roughly\s+|nearly\s+|more\s+than\s+)?$|\bcrowds?\s+of\s+(?:about\s+|some\s+)?$",
    re.IGNORECASE,
)
_SURVEY_BY = re.compile(
    r"\b(?:survey|poll|study|census)\s+(?:by|from)\s+(?:[\w'’.&-]+\s+){1,8}?of\s+$", re.IGNORECASE
)
_SOURCES_AFTER = re.compile(
    r"\s+(?:[\w-]+\s+)?(?:people|persons|officials|sources|diplomats|residents|witnesses)\s+"
    r"(?:familiar\s+with|close\s+to|with\s+(?:direct\s+)?knowledge\s+of|in\s+contact\s+with"
    r"|briefed\s+on)\b[^.;]{0,60}?\b(?:said|say|says|told)\b",
    re.IGNORECASE,
)
_CHANGE_BEFORE = re.compile(
    r"\b(?:fell|fall|falls|dropped|drop|declined|decline|decreased|decrease|plunged|slumped"
    r"|shrank|down|rose|rise|rises|increased|increase|grew|jumped|climbed|surged"
    r"|(?<!made\s)(?<!make\s)(?<!makes\s)up"
    r"|(?:a|an|the)\s+(?:fall|drop|decline|decrease|rise|increase|jump|growth)\s+of)\s+(?:by\s+)?"
    r"(?:(?:about|nearly|almost|some|around|roughly|more\s+than|over|just|a)\s+)?$",
    re.IGNORECASE,
)
_CHANGE_AFTER = re.compile(
    r"^\s*(?:drop|fall|decline|decrease|reduction|cut|plunge|slump|fewer|lower|below|down"
    r"|increase|rise|jump|growth|gain|more|higher|above|up)\b(?!\s+(?:of|to)\s+(?:them|whom))",
    re.IGNORECASE,
)
_NEGATIVE_CHANGE = re.compile(
    r"\b(?:fell|fall|falls|dropped|drop|declined|decline|decreased|decrease|plunged|plunge"
    r"|slumped|slump|shrank|down|reduction|cut|fewer|lower|below)\b",
    re.IGNORECASE,
)
_RANGE_JOIN = re.compile(r"^\s*(?:-|–|—|to|and)\s*$")
_LOW_END_UNIT = re.compile(r"\s+(months?|weeks?|days?)\s+(?:to|and|-|–)\s", re.IGNORECASE)
_MIXED_UNIT_JOIN = re.compile(r"^\s+(?:months?|weeks?|days?)\s+(?:to|and|-|–)\s+$", re.IGNORECASE)
_YEARS_AFTER = re.compile(r"\s+years?\b", re.IGNORECASE)
_CHANGE_VERBS = re.compile(
    r"\b(?:rose|fell|increased|decreased|dropped|declined|climbed|jumped|grew|went|surged"
    r"|plunged|up|down)\s+(?:\w+\s+){0,3}$",
    re.IGNORECASE,
)
_ANAPHOR = re.compile(
    r"\b(?:of\s+(?:them|whom|(?:those|these)(?!\s+(?:who|that|which|whose)\b))"
    r"|among\s+(?:them|(?:those|these)(?!\s+(?:who|that|which|whose)\b))|including"
    r"|(?:of|among)\s+the\s+\d[\d,]*(?![\d,]*\s*(?:%|percent|per\s+cent))"
    r"|the\s+(?:(?:annual|yearly|monthly|quarterly|overall|latest|year's)\s+)?"
    r"(?:figure|number|total|count|tally)|this\s+(?:figure|number)"
    r"|(?:count|total|figure|number|tally)\s+(?:was|stood|reached|rose|fell|is)"
    r"|put\s+the\s+(?:number|figure|total|toll|count)|down\s+from|up\s+from"
    # "the group" of people counted before, not the group that speaks ("the group added")
    r"|the\s+group(?!\s+(?:also\s+)?(?:said|says|added|adds|told|estimated|estimates|reported"
    r"|noted|stated|claimed|found|counted|documented|believes|recorded|confirmed)\b)"
    r"|compared\s+(?:with|to)|the\s+peak\s+of|(?:that|this|it)\s+was|a\s+record\s+of)\b"
    r"|\bthe\s+(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|\d{1,3})\s*(?:--|—|–)",
    re.IGNORECASE,
)
_COMPARE_BEFORE = re.compile(
    r"\b(?:up|down)\s+from\s+(?:the\s+)?$|\bcompared\s+(?:with|to)\s+(?:the\s+)?$"
    r"|\b(?:against|versus|vs\.?)\s+(?:the\s+)?$|\bon\s+(?:the\s+previous\s+year's|last\s+year's)\s+$",
    re.IGNORECASE,
)
_EVERY = re.compile(r"\b(?:out\s+of|in)\s+every\s+(\w+)\b", re.IGNORECASE)
_AFTER_FILLER = re.compile(
    r"\bof\s+(?:[\w'’-]+\s+){0,2}|\b(?:who|that|were|was|are|is|had|have|has|been|being|then"
    r"|later|also|all)\b",
    re.IGNORECASE,
)
# matched with .match(text, pos, end): no "^", the match starts at pos
_SAID_AFTER = re.compile(
    r"\s+(?:of\s+(?:them|whom|those)\s+)?(?:said|say|says|told|reported|answered|replied"
    r"|responded|agreed|described|recalled)\b",
    re.IGNORECASE,
)
_COUNT_OF_BEFORE = re.compile(r"\d[\d,]*\s+of\s+(?:the\s+)?$")
_BACKREF_BEFORE = re.compile(r"\b(?:the|all|these|those)\s+$", re.IGNORECASE)
_CONTRAST = re.compile(r"\b(?:while|whereas|but|although)\b", re.IGNORECASE)
_COORDINATED = re.compile(
    r"(?:\s+[\w'’-]+){0,5}?\s+(?:and\s+(?:then\s+|later\s+)?"
    r"|before\s+(?:being|they\s+were|he\s+was|she\s+was)\s+)",
    re.IGNORECASE,
)
# "110 repatriated North Korean workers were sent to camps": the premodifier yields to the verb
_AUX_GAP = re.compile(
    r"\s+(?:(?:were|was|are|is|have|has|had|been|being|reportedly|later|then|also|all|since)\s+)+",
    re.IGNORECASE,
)
_PARTICIPLE = re.compile(r"[a-z]+ing\b", re.IGNORECASE)
# a subordinate clause of time: its event comes before (or after) the one counted
_SUBORDINATE_IN = re.compile(
    r"\b(?:after|before|once|until)\s+(?:they|he|she|being|having|their|its)\b", re.IGNORECASE
)
_SUBORDINATE_BEFORE = re.compile(
    r"\b(?:after|before|once|until)\s+(?:(?:being|having\s+been|having|they\s+were|they\s+had(?:\s+been)?)\s+)?$",
    re.IGNORECASE,
)
# "nine North Koreans caught in Laos were repatriated": the participle describes, the
# main verb counts
_APPROX_WORD = r"(?:(?:some|about|around|nearly|almost|at\s+least|more\s+than|over|up\s+to)\s+)?"
"""An optional approximating word before a number ("some", "at least", ...)."""
_REPORTED_BETWEEN = re.compile(
    r"\b(?:said|says|told|tells|recalled|testified|wrote|reported)\b(?:\s+\w+){0,3}?\s+(?:that\s+)?"
    + _APPROX_WORD
    + "$",
    re.IGNORECASE,
)
_COMPARED_WITH = re.compile(
    r"\b(?:from|on|over|compared\s+(?:with|to)|against|than(?:\s+in)?|versus|vs\.?)\s+(?:the\s+)?$",
    re.IGNORECASE,
)
_CHANGE_WORD = re.compile(
    r"\b(?:fall|fell|drop(?:ped)?|declin(?:e|ed)|decrease[ds]?|rise|rose|increase[ds]?|jump(?:ed)?"
    r"|surge[ds]?|plunge[ds]?|up|down|lower|higher|more|fewer|less)\b",
    re.IGNORECASE,
)
# "told the Office in 2023 that six prisoners ...": when it was said
_THAT_THEN = re.compile(
    r"\s*,?\s*that\s+" + _APPROX_WORD,
    re.IGNORECASE,
)
_REPORTED_AT = re.compile(
    r"\b(?:said|says|told|tells|recalled|testified|wrote|reported|explained|added)\b"
    r"(?:\s+[\w'’-]+){0,4}?\s+(?:in|on|during|last|this|earlier)?\s*$",
    re.IGNORECASE,
)
_WHEN_THEN = re.compile(
    r"\s*,?\s*when\s+(?:(?:some|about|only|just|nearly|almost|around|more\s+than|over)\s+)?",
    re.IGNORECASE,
)
_SAME_DAY = re.compile(
    r"\b(?:on\s+)?(?:the\s+same|that)\s+(?:day|afternoon|morning|evening|night)\b"
    # "received terms ... at the same trial": the day of the trial named before
    r"|\bat\s+the\s+same\s+(?:public\s+)?(?:trial|hearing|session|rally|meeting)\b",
    re.IGNORECASE,
)
_SAME_DAY_LOOKBACK = 8
_TO_NEW_COUNT = re.compile(
    r"\s+to\s+(?:about\s+|around\s+|nearly\s+|almost\s+|just\s+)?\d[\d,]*(?!\s*(?:%|per\s*cent|percent))"
)
# a sentence that opens with a definite group: "The eight women and four men had hoped ..."
_DEFINITE_START = re.compile(
    r"\s*(?:The|These|Those|All\s+(?:the\s+)?)\s+"
    # "The detainees are eight women and three men": the group named before, described
    r"(?:(?:detainees|returnees|deportees|defectors|escapees|arrivals|victims|prisoners|group)\s+"
    r"(?:are|were|include|included|comprise|comprised)\s+)?"
    r"(?:[\w-]+\s+(?:women|men|children|girls|boys)\s*(?:,|and)\s+)?",
)
_DEFINITE_AFTER = re.compile(
    r"\s+(?:women|men|people|persons|North\s+Koreans|defectors|escapees|children|girls|boys"
    r"|detainees|were|are|had|have|will|would)\b"
)
"""Earlier claims searched for the day that "on the same day" refers to."""
_OF_WORD = re.compile(r"\bof\b", re.IGNORECASE)
_PARTICIPLE_THEN_VERB = re.compile(
    r"(?:(?!\b(?:believed|thought|said|reported|feared|alleged|understood|likely)\b)[^,;:()]){0,60}?"
    r"\b(?:were|was|are|is|(?:have|has|had)\s+been)\s+"
    r"(?:(?:later|then|subsequently|eventually|all|reportedly|forcibly)\s+)?$",
    re.IGNORECASE,
)
_CLAUSE_CUT = re.compile(r"[,;:()—–]|\b(?:while|but|whereas|although|who|which|that)\b")
# "rose 12.7 percent from a year earlier to 224": the count the change reached
_CHANGE_TO = re.compile(
    r"\b(?:rose|risen|rising|fell|fallen|falling|increased|decreased|dropped|declined|climbed"
    r"|jumped|grew|surged|plunged|slumped|went\s+(?:up|down)|up(?!\s+to\b)|down)\b"
    r"(?:[^.;]|\.(?=\d)){0,80}?\bto\s+"
    r"(?:(?:about|nearly|almost|more\s+than|over|some|around|roughly|just|only|a\s+record)\s+)?$",
    re.IGNORECASE,
)
# "the number of sea crossings this year at three": a count of things, not of people
_NUMBER_OF = re.compile(
    r"\b(?:number|count|total|tally)\s+of\s+(?:[\w'’-]+\s+){0,3}?(?P<noun>[a-z]+)"
    r"(?=\s+(?:this|last|in|at|to|for|during|since|over|was|were|is|stood|reached|rose|fell|had|has)\b)"
    r"[^.;]{0,50}$",
    re.IGNORECASE,
)
# "a movement of more than 9 million people": members, not a country's people
_NOT_POPULATION = re.compile(
    r"\b(?:movement|members|membership|supporters|followers|subscribers|signatures|signatories"
    r"|petition|campaigners|volunteers|donors|users|viewers|listeners|readers|audience)\b",
    re.IGNORECASE,
)
# "the accounts of 683 escapees it interviewed": a sample
_SAMPLE_AFTER = re.compile(
    r"\s+(?:[\w'’-]+\s+){0,3}?(?:whom\s+|that\s+)?(?:it|they|we|he|she|researchers|the\s+group)\s+"
    r"(?:had\s+|has\s+|have\s+)?(?:interviewed|surveyed|questioned|polled|spoke\s+(?:to|with)|met)\b",
    re.IGNORECASE,
)

_RELATIVE = re.compile(r"\b(?:who|which|that)\b", re.IGNORECASE)
_MAIN_VERB = re.compile(
    r"\b(?:were|was|are|is|(?:have|has|had)\s+(?:since\s+|later\s+|now\s+|all\s+)?been|will\s+be)\b",
    re.IGNORECASE,
)
_AUX_START = re.compile(r"\s*(?:were|was|are|is|had|have|has)\b", re.IGNORECASE)
_COORDINATED_END = re.compile(
    r"\b(?:and|or)\s+(?:were|was|are|is|(?:had|have|has)\s+been|later\s+)?\s*$", re.IGNORECASE
)
# the relative clause's own past-tense verb and its complement, before the cue
_REL_OWN_VERB = re.compile(
    r"\s*(?:(?:had|have|has)\s+(?:been\s+)?)?(?:[a-z]+ed|fled|left|got|went|came|ran|broke|took)"
    r"(?:\s+[\w'’-]+){1,8}\s+",
)
# the relative clause's own verb, then the main verb's auxiliary right before the cue
_MAIN_PERFECT_END = re.compile(
    r"\w\s+(?:[\w'’-]+\s+){0,6}?(?:have|has|had)\s+(?:since\s+|now\s+|also\s+|all\s+|later\s+)?$",
    re.IGNORECASE,
)
_CLAUSE_BREAK = re.compile(r"\b(?:is|are|was|were|when|if|because|while|although)\b", re.IGNORECASE)
_DATELINE = re.compile(
    r"[A-Z][A-Z .'-]{2,}(?:\([^)]*\))?,\s*(?:[A-Z][a-z]{2,}\.?\s+\d{1,2})?(?:\s*\([^)]*\))?"
    r"\s*[-–—]"
)
_SEX_WORDS_F = frozenset(
    {"women", "woman", "female", "females", "girls", "wives", "brides", "mothers", "daughters"}
)
_SEX_WORDS_M = frozenset({"men", "man", "male", "males", "boys", "husbands", "fathers", "sons"})
_SEX_AFTER = re.compile(
    r"^\s*(?:of\s+(?:them|whom|those|these)\s+)?(?:(?:of\s+(?:the\s+)?[\w'’ ]{1,40}?\s+)?"
    r"(?:were|are|was|is|being)\s+(?:\w+\s+)?|of\s+(?:the\s+)?(?:North\s+Korean\s+)?)"
    r"(?P<sex>women|female|girls|men|male|boys)\b",
    re.IGNORECASE,
)
_SEX_BEFORE = re.compile(
    r"\b(?P<sex>women|woman|females?|girls|men|man|males?|boys)\s+(?:made\s+up|make\s+up"
    r"|accounted\s+for|account\s+for|comprised|represented|were|was|is|numbered|totalled"
    r"|totaled)\s+(?:\w+\s+){0,2}$",
    re.IGNORECASE,
)
_QUESTION_END = re.compile(r"\?[\"'”’)]*\s*$")
_PER_YEAR = re.compile(
    r"^\s*(?:[\w-]+\s+){0,3}?(?:a|per|each|every)\s+year\b(?!\s+(?:earlier|before|ago|later))"
    r"|^\s*annually\b",
    re.IGNORECASE,
)
_BOUNDARY_CHARS = frozenset(",;:()—–")
_TIME_UNITS = frozenset({"years", "months", "weeks", "days"})
# periods whose year is not a year the text is about ("since 1998", "a year earlier", "today")
_NO_YEAR_KINDS = frozenset(
    {"shift", "since", "sofar", "asof", "asof_part", "that_year", "same", "today", "now", "weekday"}
)
#: Counts this large with no other subject are a country's population.
_POPULATION_MIN = 5_000_000
_POPULATION_HEADS = frozenset(
    {"people", "persons", "inhabitants", "citizens", "koreans", "north", "residents", "nationals"}
)
_CAMP_WORDS = CAMP_WORDS
_CAMP_RE = re.compile(rf"\b{CAMP_WORDS}\b", re.IGNORECASE)
# a state, not an event: "are held", "live in", "remain", "stands at"
_STATE = re.compile(
    r"\b(?:are|is|remain|remains|live|lives|living|held|hold|holds|hiding|reside|resides"
    r"|stands|stand|stood|number|numbers|total|totals|house|houses)\b",
    re.IGNORECASE,
)
# "police are holding 600 more", "are being held": a present state, whose time is not that of
# an earlier event even when the number refers back to it
_PRESENT_HOLDING = re.compile(
    r"\b(?:are|is)\s+(?:still\s+)?(?:holding|being\s+held|held|detaining)\b"
    r"|\bremains?\s+(?:in\s+(?:detention|custody)|incarcerated|detained|imprisoned|held)\b",
    re.IGNORECASE,
)
_STOCK_CUE = re.compile(
    r"\b(?:cumulative(?:ly)?|accumulated)\b|\b(?:in\s+total|altogether|all\s+told)\s+since\b"
    r"|\bbring(?:ing|s)?\s+the\s+(?:total|tally)\b",
    re.IGNORECASE,
)
_MILESTONE = re.compile(
    r"\b(?:exceeded|topped|surpassed|passed|crossed\s+the|broke\s+the)\b(?![^.;]{0,40}\bborder\b)",
    re.IGNORECASE,
)
_RESPECTIVELY = re.compile(r",?\s*respectively\b", re.IGNORECASE)
_PAST_VERB = re.compile(r"[a-z]{3,}ed")
_WORD_RE = re.compile(r"[A-Za-z][A-Za-z'’-]*|[^\sA-Za-z]")
_HEAD_STOP = frozenset(
    {
        "in",
        "on",
        "at",
        "to",
        "from",
        "by",
        "for",
        "with",
        "who",
        "which",
        "that",
        "were",
        "was",
        "are",
        "is",
        "had",
        "have",
        "has",
        "and",
        "or",
        "but",
        "than",
        "a",
        "an",
        "the",
        "since",
        "during",
        "between",
        "last",
        "this",
        "per",
        "each",
        "every",
        "annually",
        "into",
        "across",
        "after",
        "before",
        "as",
        "while",
        "would",
        "will",
        "could",
        "did",
        "do",
        "be",
        "been",
        "being",
        "remain",
        "remained",
        "over",
        "under",
        "out",
        "up",
        "down",
        "back",
        "said",
        "according",
        "so",
        "there",
        "their",
        "they",
        "those",
        "these",
        "its",
        "his",
        "her",
        "some",
        "all",
        "most",
        "of",
    }
)


@dataclass
class _Draft:
    """A claim being built."""

    number: NumberMention
    value: float
    kind: str
    unit: str
    qualifier: str
    subject: str
    subject_source: str
    sex: str | None
    period: Period | None
    period_source: str
    place: str | None
    attribution: Attribution | None
    sentence: Sentence
    confidence: float
    extra: dict[str, str] = field(default_factory=dict)

    def measure_flow(self) -> bool:
        """Whether the claim is a flow (neither a stock nor a duration).

        Returns:
            True for a flow.
        """
        return self.extra.get("measure", "flow") == "flow"


@dataclass(frozen=True)
class _SentenceInfo:
    """Everything found in one sentence."""

    sentence: Sentence
    periods: tuple[PeriodMention, ...]
    attributions: tuple[tuple[AttributionMention, str], ...]
    cues: tuple[Cue, ...]
    places: tuple[PlaceMention, ...]
    earlier_attribution: tuple[AttributionMention, str] | None = None
    furniture: tuple[tuple[int, int], ...] = ()
    heading_subject: str | None = None
    published: dt.date | None = None


@dataclass
class _Claims:
    """The claims found so far in a document, and what later numbers look up in them.

    Kept up to date as sentences are read, so that looking up an antecedent or
    a figure named before takes constant time however long the document is.

    Attributes:
        drafts: Every claim so far, in text order.
        last_first: The first claim of the latest sentence that has claims.
        count_by_value: The latest count claim of each value.
    """

    drafts: list[_Draft] = field(default_factory=list)
    last_first: _Draft | None = None
    count_by_value: dict[float, _Draft] = field(default_factory=dict)

    def add(self, sentence_drafts: Sequence[_Draft]) -> None:
        """Record the claims of one sentence.

        Args:
            sentence_drafts: The sentence's claims in text order.
        """
        if not sentence_drafts:
            return
        self.drafts.extend(sentence_drafts)
        self.last_first = sentence_drafts[0]
        for d in sentence_drafts:
            if d.kind == "count":
                self.count_by_value[d.value] = d


# --------------------------------------------------------------------------- helpers


def _boundaries(text: str, a: int, b: int) -> int:
    """Count clause boundaries between two offsets.

    Args:
        text: Document text.
        a: Start offset.
        b: End offset.

    Returns:
        Number of clause punctuation marks in ``text[a:b]``.
    """
    if b <= a:
        return 0
    return sum(text.count(ch, a, b) for ch in _BOUNDARY_CHARS)


def _gap(a_start: int, a_end: int, b_start: int, b_end: int) -> tuple[int, int]:
    """Character gap between two spans and the (from, to) of the gap.

    Args:
        a_start: First span start.
        a_end: First span end.
        b_start: Second span start.
        b_end: Second span end.

    Returns:
        (gap start, gap end); equal values when the spans touch or overlap.
    """
    if a_end <= b_start:
        return a_end, b_start
    if b_end <= a_start:
        return b_end, a_start
    return a_start, a_start


def _blocked(lo: int, hi: int, blockers: Sequence[tuple[int, int]], own: tuple[int, int]) -> bool:
    """Whether a blocking span lies strictly inside ``[lo, hi)``.

    Args:
        lo: Gap start.
        hi: Gap end.
        blockers: Spans of other candidate numbers (ranges as one span).
        own: The span of the number itself (never blocks).

    Returns:
        True when another number lies in the gap.
    """
    return any(lo <= s and e <= hi and (s, e) != own for s, e in blockers)


def _in_spans(start: int, end: int, spans: Sequence[tuple[int, int]]) -> bool:
    """Whether ``[start, end)`` overlaps any span.

    Args:
        start: Start.
        end: End.
        spans: Spans.

    Returns:
        True on overlap.
    """
    return any(start < e and s < end for s, e in spans)


def _head(text: str, pos: int, end: int) -> tuple[str | None, list[str], int]:
    """The head noun after a number.

    Words such as "North Korean", "female", "political" are skipped; "cases
    of" is transparent. The head is the first word found in a known list, or
    the last word of the noun run.

    Args:
        text: Document text.
        pos: Offset just after the number phrase.
        end: Sentence end.

    Returns:
        (head word lower-cased or ``None``, all words of the run lower-cased,
        offset where the run ends).
    """
    words: list[str] = []
    run_end = pos
    window = text[pos : min(end, pos + 80)]
    adj = re.match(r"-(?:strong|member|person|man|woman)\b", window)
    if adj:
        window = window[adj.end() :]
        pos += adj.end()
        run_end = pos
    for m in _WORD_RE.finditer(window):
        tok = m.group(0)
        low = tok.lower().strip("'’")
        if not tok[0].isalpha():
            break
        if low == "of" and words and words[-1] == "cases":
            words.pop()
            continue
        if low in _HEAD_STOP or len(words) >= 5:
            break
        words.append(low)
        run_end = pos + m.end()
    if len(words) == 1 and _PAST_VERB.fullmatch(words[0]) and words[0] not in HEAD_SKIP:
        return None, words, run_end  # "16 competed in seven sports"
    for w in words:
        if w in HEAD_SKIP:
            continue
        if w in NON_PEOPLE_UNITS or w in GENERIC_PEOPLE or w in OTHER_PEOPLE:
            return w, words, run_end
    content = [w for w in words if w not in HEAD_SKIP]
    if not words:
        # "Three of the golds came ...": a part of things is not people
        part = _PART_OF.match(window)
        if part is not None and part.group(1).lower() in NON_PEOPLE_UNITS:
            return part.group(1).lower(), words, run_end
    return (content[-1] if content else None), words, run_end


def _quote_span(text: str, sent: Sentence, n_start: int, n_end: int) -> tuple[int, int]:
    """The quote span for a claim: its sentence, or a window in a long one.

    Args:
        text: Document text.
        sent: The sentence.
        n_start: Number start.
        n_end: Number end.

    Returns:
        (start, end) of the quote.
    """
    if sent.end - sent.start <= _MAX_QUOTE:
        return sent.start, sent.end
    a = max(sent.start, n_start - 200)
    b = min(sent.end, n_end + 200)
    while a > sent.start and not text[a - 1].isspace():
        a -= 1
    while b < sent.end and not text[b].isspace():
        b += 1
    return a, b


def _sex(
    text: str, n: NumberMention, words: Sequence[str], sent: Sentence
) -> tuple[str | None, bool]:
    """Sex of the counted people, when the text says so next to the number.

    Args:
        text: Document text.
        n: The number.
        words: Head-noun run after the number.
        sent: The sentence.

    Returns:
        ("female" / "male" / ``None``, whether it is predicated of a group
        named before, as in "of whom 845 were women" or "women made up 83
        percent").
    """
    for w in words:
        if w in _SEX_WORDS_F:
            return "female", False
        if w in _SEX_WORDS_M:
            return "male", False
    after = text[n.end : min(sent.end, n.end + 80)]
    m = _SEX_AFTER.match(after)
    if m and _COUNT_OF_BEFORE.search(text[max(sent.start, n.start - 20) : n.start]):
        m = None  # "166 of the 196 were women": the sex belongs to 166
    if m:
        return (
            "female" if m.group("sex").lower() in ("women", "female", "girls") else "male",
            True,
        )
    before = text[max(sent.start, n.start - 80) : n.start]
    b = _SEX_BEFORE.search(before)
    if b:
        return (
            "female" if b.group("sex").lower().startswith(("wom", "fem", "gir")) else "male",
            True,
        )
    return None, False


def _is_trap(
    text: str,
    n: NumberMention,
    sent: Sentence,
    excluded: Sequence[tuple[int, int]],
) -> str | None:
    """Why a number is not a claim candidate, or ``None`` when it is one.

    Args:
        text: Document text.
        n: The number.
        sent: Its sentence.
        excluded: Spans of dates, periods, places, URLs, money, phone
            numbers, licences and identifiers.

    Returns:
        A short reason, or ``None``.
    """
    if _in_spans(n.start, n.end, excluded):
        return "excluded span"
    before = text[max(sent.start, n.start - 40) : n.start]
    after = text[n.end : min(sent.end, n.end + 40)]
    if (
        n.integer_digits
        and len(n.integer_digits) == 4
        and 1900 <= int(n.integer_digits) <= 2100
        and "," not in text[n.start : n.end]
    ):
        return "year"
    if _PREFIX_TRAP.search(before):
        return "identifier or age prefix"
    if _SUFFIX_TRAP.match(after) and not _TERM_SUFFIX.match(after):
        return "unit, ordinal or money suffix"
    if _AGE_AFTER_NAME.search(before) and re.match(r"^\s*,", after) and not n.percent:
        return "age after a name"
    if re.search(r"\bin\s+(?:their|his|her)\s*$", before):
        return "age"
    if _AGE_OF_PERSON.search(before) and not n.percent:
        return "age"  # "a boy of about nine", "A woman from Musan, now 44, said"
    if not n.percent and _SAID_AFTER.match(text, n.end, sent.end):
        return "survey answer"
    if _AGE_RANGE_BEFORE.search(before):
        return "age"
    if _SAMPLE_BEFORE.search(before):
        return "sample size"
    if _SURVEY_BY.search(text, max(sent.start, n.start - 100), n.start):
        return "sample size"  # "A 2023 survey by the ... Centre of 280 North Korean women"
    if _SOURCES_AFTER.match(text, n.end, sent.end) or (
        _ACCORDING_TO_END.search(before) and _SOURCE_NOUN_AFTER.match(text, n.end, sent.end)
    ):
        return "number of sources"  # "two people familiar with the case said", "according to
        # two officials"
    if n.percent and _RESPONDENTS_AFTER.match(text, n.end, sent.end):
        return "share of a sample"  # "78 percent of our respondents"
    if _ARTICLE_LIST_BEFORE.search(before):
        return "article number"  # "articles 6, 9 and 15 of the Convention"
    if _FRACTION_AFTER.match(text, n.end, sent.end) and n.value < 10:
        return "fraction"  # "Three-quarters of those returned": vague, as "half"
    if _CROWD_AROUND.search(text, max(sent.start, n.start - 30), n.start):
        return "crowd size"  # "the partner put the crowd at about 2,000"
    if not n.percent and _SAMPLE_AFTER.match(text, n.end, min(sent.end, n.end + 60)):
        return "sample size"
    return None


# --------------------------------------------------------------------------- main


def _in_relative_clause(gap_text: str) -> bool:
    """Whether a cue after a number sits inside a relative clause about it.

    In "600 North Koreans who had been held in detention were forcibly
    returned", "held in detention" is inside the relative clause and
    "forcibly returned" (after the main verb "were") is not.

    Args:
        gap_text: Text between the number and the cue.

    Returns:
        True when the gap opens a relative clause that has not yet reached a
        main verb.
    """
    rel = _RELATIVE.search(gap_text)
    if not rel:
        return False
    rest = gap_text[rel.end() :]
    if _COORDINATED_END.search(rest):
        return True  # "women who married or were [sold]": the relative clause goes on
    aux = _AUX_START.match(rest)
    if _MAIN_PERFECT_END.search(rest, aux.end() if aux else 0):
        return False  # "40 people who fled from Russia have [resettled]": the main verb
    if _REL_OWN_VERB.fullmatch(rest) and not re.search(
        r"\b(?:and|or|but|then)\s+(?:were|was|had|have|[a-z]+ed)\b", rest
    ):
        return False  # "18 workers who fled Russian sites [reached] the South": the main verb
    return not _MAIN_VERB.search(rest, aux.end() if aux else 0)


def _antecedent(
    previous: _Claims, out: Sequence[_Draft], paragraph: int | None = None
) -> _Draft | None:
    """The claim a later number refers back to.

    This is the first claim of the latest sentence that has claims: the main
    figure of that sentence rather than a comparison figure after it ("1,137
    in 2018, up from 1,127 the year before. Women accounted for 85 percent of
    the total" refers to 1,137).

    Args:
        previous: The claims of earlier sentences.
        out: The claims of the current sentence so far.
        paragraph: Only a claim of this paragraph (``None``: any).

    Returns:
        The antecedent or ``None``.
    """
    if out:
        return out[0]
    ante = previous.last_first
    if ante is None or (paragraph is not None and ante.sentence.paragraph != paragraph):
        return None
    return ante


def _pick_subject(
    text: str,
    n: NumberMention,
    own: tuple[int, int],
    head: str | None,
    run_end: int,
    info: _SentenceInfo,
    blockers: Sequence[tuple[int, int]],
) -> tuple[str, int, Cue] | None:
    """Choose the subject cue for a number.

    Args:
        text: Document text.
        n: The number.
        own: Span of the number (or of its whole range).
        head: Head noun after the number.
        run_end: End of the head-noun run.
        info: The sentence's findings.
        blockers: Spans of other candidate numbers.

    Returns:
        (subject, strength) or ``None``.
    """
    best: tuple[float, str, int, Cue] | None = None
    restricted = head is not None and head not in GENERIC_PEOPLE
    for cue in info.cues:
        if cue.strength < 2:
            continue
        if cue.subject == "population" and (n.percent or n.value < 1_000_000):
            continue
        attached = own[1] <= cue.start < run_end + 1
        lo, hi = _gap(own[0], own[1], cue.start, cue.end)
        if not attached and _blocked(lo, hi, blockers, own):
            continue
        if ";" in text[lo:hi]:
            continue  # another clause: "31,000 live in the South; the rest have moved abroad"
        dist = hi - lo
        bounds = _boundaries(text, lo, hi)
        if restricted and not attached:
            # a noun such as "workers" needs a strong cue right next to it
            if cue.strength < 3:
                continue
            # ... unless only "of <place>," stands between ("Nine residents of Hoeryong,
            # North Hamgyong province, were sentenced")
            if not _OF_PLACE_THEN_VERB.fullmatch(text, run_end, cue.start):
                if bounds > 0:
                    continue
                if cue.start >= own[1]:
                    rest = _AFTER_FILLER.sub(" ", text[max(lo, run_end) : hi]).strip()
                    # "Ten diplomats and trade officials were among last year's arrivals"
                    if (
                        len(rest) > 12
                        and not _AMONG_BEFORE.search(text, lo, hi)
                        and not _RELATIVE_THEN_VERB.match(text, own[1], hi)
                        # "18 ... workers who fled Russian sites reached the South": main verb
                        and not (
                            _RELATIVE.search(text, lo, hi) and not _in_relative_clause(text[lo:hi])
                        )
                    ):
                        continue
                elif hi - lo > 20 or _CLAUSE_BREAK.search(text, lo, hi):
                    continue
        penalty = 80 if cue.start >= own[1] and _in_relative_clause(text[lo:hi]) else 0
        if (
            cue.start >= own[1] and _SUBORDINATE_IN.search(text, lo, hi)
        ) or _SUBORDINATE_BEFORE.search(text, max(info.sentence.start, cue.start - 30), cue.start):
            # "the detention of 46 ... after they crossed the border", "sent back after
            # being caught": the event before the one counted
            penalty += 60
        if (
            n.percent
            and cue.end <= own[0]
            and _BASE_BEFORE.fullmatch(text, info.sentence.start, cue.start)
        ):
            penalty -= 60  # "Of those executed, 35 percent were killed ...": the base population
        if n.percent and cue.start >= own[1] and _SHARE_OF.fullmatch(text, own[1], cue.start):
            penalty -= 100  # "70 percent of Monday's returnees were women, many ... sold": the base
        if _CONTRAST.search(text, lo, hi):
            penalty += 50  # "..., while five women received ...": another clause
        if cue.subject == "arrived" and any(
            c.subject == "athletes" and own[1] <= c.start < run_end + 1 for c in info.cues
        ):
            penalty += 100  # "a 273-member delegation arrived": members are counted, not arrivals
        score = cue.strength * 100 - dist - 25 * bounds + (15 if attached else 0) - penalty
        if best is None or score > best[0]:
            best = (score, cue.subject, cue.strength, cue)
    if best is None:
        return None
    chosen = best[3]
    if (
        chosen.subject == "detained"
        and text[chosen.start : chosen.end].lower() == "held"
        and _CAMP_RE.search(text, info.sentence.start, info.sentence.end)
    ):
        # "it once held roughly 46,500 people" of a camp
        best = (best[0], "imprisoned", best[2], chosen)
    elif (
        chosen.subject == "imprisoned"
        and text[chosen.start : chosen.end].lower().startswith("held there")
        and _DETENTION_PLACE.search(text, info.sentence.start, info.sentence.end)
        and not _CAMP_RE.search(text, info.sentence.start, info.sentence.end)
    ):
        # "A lawyer who visits the centre said 31 ... have been held there": a detention centre
        best = (best[0], "detained", best[2], chosen)
    if (
        best[2] == 3
        and own[1] < chosen.start <= run_end + 1
        and _PARTICIPLE.match(text, chosen.start, chosen.end)
    ):
        for cue in info.cues:
            if (
                cue.strength == 3
                and cue.start > chosen.end
                and cue.subject != chosen.subject
                and not _CLAUSE_CUT.search(text, chosen.end, cue.start)
            ):
                return cue.subject, cue.strength, cue
    if (
        best[2] == 3
        and own[1] < chosen.start <= run_end + 25
        and not _OF_WORD.search(text, own[1], chosen.start)
    ):
        for cue in info.cues:
            if (
                cue.strength == 3
                and cue.start > chosen.end
                and cue.subject != chosen.subject
                and _PARTICIPLE_THEN_VERB.fullmatch(text, chosen.end, cue.start)
            ):
                return cue.subject, cue.strength, cue
    if own[1] <= chosen.start and chosen.end < run_end and best[2] == 3:
        for cue in info.cues:
            # "110 repatriated North Korean workers were sent to political prison camps"
            if (
                cue.strength == 3
                and cue.start >= run_end
                and cue.subject != chosen.subject
                and _AUX_GAP.fullmatch(text, run_end, cue.start)
            ):
                return cue.subject, cue.strength, cue
    for cue in info.cues:
        # "caught by police and handed back", "sentenced to death and executed": the outcome
        if (
            cue.strength == 3
            and cue.start > own[1]
            and cue.start > chosen.end
            and best[2] == 3
            and _COORDINATED.fullmatch(text, chosen.end, cue.start)
        ):
            return cue.subject, cue.strength, cue
    return best[1], best[2], chosen


def _pick_period(
    text: str,
    own: tuple[int, int],
    info: _SentenceInfo,
    blockers: Sequence[tuple[int, int]],
    cue: Cue | None = None,
    *,
    skip_shift: bool = False,
) -> PeriodMention | None:
    """Choose the nearest unblocked period expression in the sentence.

    Distance counts from the number or, for a period right after the subject
    verb ("600 ... were rearrested in July 2024"), from that verb.

    Args:
        text: Document text.
        own: Span of the number (or of its whole range).
        info: The sentence's findings.
        blockers: Spans of other candidate numbers.
        cue: The strong subject cue chosen for the number, if any.
        skip_shift: Leave out comparison periods ("from the year before") when
            the sentence has another (a rate of change).

    Returns:
        The period mention or ``None``.
    """
    best: tuple[int, PeriodMention] | None = None
    periods = info.periods
    if skip_shift and any(p.kind != "shift" for p in periods):
        periods = tuple(p for p in periods if p.kind != "shift")
    for p in periods:
        lo, hi = _gap(own[0], own[1], p.start, p.end)
        if _blocked(lo, hi, blockers, own) or ";" in text[lo:hi]:
            continue
        if p.kind in _SINCE_KINDS and _SUPERLATIVE_SINCE.search(
            text, max(info.sentence.start, p.start - 40), p.start
        ):
            continue
        score = (hi - lo) + 25 * _boundaries(text, lo, hi)
        if cue is not None and cue.strength == 3 and cue.end > own[1] and p.start >= cue.end:
            # "600 ... were rearrested in July", "sent 18 of them across the border on Tuesday"
            score = min(score, (p.start - cue.end) + 25 * _boundaries(text, cue.end, p.start))
        if p.start >= own[1] and _WHICH_BETWEEN.search(text, lo, hi):
            continue
        if p.end <= own[0] and (
            _REPORTED_BETWEEN.search(text, p.end, own[0])
            or (
                _THAT_THEN.fullmatch(text, p.end, own[0])
                and _REPORTED_AT.search(text, max(info.sentence.start, p.start - 45), p.start)
            )
        ):
            # "a guard interviewed in 2007 said 1,500 had died there in 1993": when it
            # was said, unless the sentence has no other period
            score += 60
        if best is None or score < best[0]:
            best = (score, p)
    if best is None:
        return None
    chosen = best[1]
    if (
        chosen.kind in _SINCE_KINDS
        and chosen.end <= own[0]
        and chosen.period.start is not None
        and (chosen.period.start.month, chosen.period.start.day) == (1, 1)
        and _WHEN_THEN.fullmatch(text, chosen.end, own[0])
    ):
        # "not back to four figures since 2019, when 1,047 came": the year itself
        y = chosen.period.start.year
        return PeriodMention(
            chosen.start,
            chosen.end,
            Period(dt.date(y, 1, 1), dt.date(y, 12, 31), "year"),
            "year",
        )
    for p in periods:
        # "In 2022, just 19 arrived in the first half": the finer period inside the coarser
        if (
            p is not chosen
            and p.kind != "shift"
            and chosen.period.start is not None
            and p.period.start is not None
            and p.period.end is not None
            and chosen.period.end is not None
            and chosen.period.start <= p.period.start
            and p.period.end <= chosen.period.end
            and (p.period.start, p.period.end) != (chosen.period.start, chosen.period.end)
            and chosen.period.granularity == "year"
            and chosen.end <= own[0]
            and p.start >= own[1]
            and not _blocked(*_gap(own[0], own[1], p.start, p.end), blockers, own)
            and text.count(";", min(p.start, own[0]), max(p.end, own[1])) == 0
            and not _SUBCLAUSE.search(text, min(p.start, own[1]), max(p.start, own[1]))
        ):
            return p
    return chosen


def _pick_attribution(text: str, own: tuple[int, int], info: _SentenceInfo) -> Attribution | None:
    """Attribution of a number: sentence first, then its paragraph.

    Args:
        text: Document text.
        own: Span of the number.
        info: The sentence's findings (with the last attribution of the
            earlier sentences of its paragraph).

    Returns:
        The attribution or ``None``.
    """
    best: tuple[int, AttributionMention, str] | None = None
    for mention, who in info.attributions:
        lo, hi = _gap(own[0], own[1], mention.anchor, mention.end)
        score = (hi - lo) + 200 * text[lo:hi].count(";")
        if best is None or score < best[0]:
            best = (score, mention, who)
    if best is None and info.earlier_attribution is not None:
        mention, who = info.earlier_attribution
        best = (0, mention, who)
    if best is None:
        return None
    _score, mention, who = best
    return Attribution(who=canonical_name(who), start=mention.start, end=mention.end)


def _pick_place(text: str, own: tuple[int, int], info: _SentenceInfo) -> str | None:
    """Nearest gazetteer place in the sentence (North Korea only as a last resort).

    Args:
        text: Document text.
        own: Span of the number.
        info: The sentence's findings.

    Returns:
        The canonical place name or ``None``.
    """
    attr_spans = [(m.start, m.end) for m, _ in info.attributions]
    best: tuple[int, str] | None = None
    for p in info.places:
        if _in_spans(p.start, p.end, attr_spans):
            continue
        lo, hi = _gap(own[0], own[1], p.start, p.end)
        score = (hi - lo) + 25 * _boundaries(text, lo, hi)
        score += 1000 if p.name == "North Korea" else 0
        if best is None or score < best[0]:
            best = (score, p.name)
    return best[1] if best else None


def _find_ranges(text: str, cands: Sequence[NumberMention]) -> dict[int, tuple[int, int]]:
    """Pair numbers that form a range.

    Args:
        text: Document text.
        cands: Candidate numbers of one sentence, in order.

    Returns:
        Map from index of the low number to (low index, high index).
    """
    ranges: dict[int, tuple[int, int]] = {}
    for i in range(len(cands) - 1):
        a, b = cands[i], cands[i + 1]
        join = text[a.end : b.start]
        widening = b.value > a.value or (b.percent and not a.percent)
        if _MIXED_UNIT_JOIN.match(join) and _YEARS_AFTER.match(text, b.end):
            # "terms of six months to two years": a range across units
            ranges[i] = (i, i + 1)
            continue
        if not _RANGE_JOIN.match(join) or not widening:
            continue
        if a.percent and not b.percent:
            continue  # "rose 23.3 percent to 238": a change, then the new count
        word = join.strip()
        before = text[max(0, a.start - 40) : a.start]
        if word == "and" and not re.search(r"\bbetween\s+(?:\w+\s+)?$", before, re.IGNORECASE):
            continue
        if (
            word == "to"
            and re.search(r"\bfrom\s+$", before)
            and _CHANGE_VERBS.search(text[max(0, a.start - 60) : a.start])
        ):
            continue
        ranges[i] = (i, i + 1)
    return ranges


def extract_claims(
    text: str,
    *,
    published: dt.date | None = None,
    places: Sequence[str] = (),
    named_periods: Sequence[NamedPeriod] = (),
) -> list[ExtractedClaim]:
    """Extract numeric claims from ``text``.

    Takes time linear in the length of the text: everything done per number
    looks only inside its sentence (at most
    :data:`~crossings.evidence.extract.segment.MAX_SENTENCE` characters), and
    what later sentences need of earlier ones (antecedents, attributions,
    the paragraph's last attribution) is kept up to date instead of searched.

    Args:
        text: The document's stored text; every span refers to it.
        published: Publication date, used to resolve "last year", "so far",
            and months named without a year.
        places: Extra place names (the scenario's) merged with the shipped
            gazetteer.
        named_periods: Events the text may date a period from ("since the
            pandemic began"); the extractor itself knows none.

    Returns:
        The claims in text order (a range gives two claims).
    """
    gazetteer = gazetteer_for(places)
    if published is None:
        published = document_date(text)  # the dateline or "Published:" line
    furniture = furniture_spans(text)
    f_next = 0  # furniture spans before this one end before the current sentence
    names = AttributionResolver()
    last_year_named: int | None = None
    previous_period: Period | None = None
    paragraph_attribution: tuple[AttributionMention, str] | None = None
    heading_subject: str | None = None
    heading_colon = False
    paragraph = -1
    found = _Claims()
    for sent in segment(text):
        while f_next < len(furniture) and furniture[f_next][1] <= sent.start:
            f_next += 1
        in_sentence: list[tuple[int, int]] = []
        k = f_next
        while k < len(furniture) and furniture[k][0] < sent.end:
            in_sentence.append(furniture[k])
            k += 1
        periods = tuple(
            p
            for p in find_periods(
                text,
                sent.start,
                sent.end,
                published,
                last_year_named,
                named_periods,
                previous_period,
            )
            if not p.reporting and not _in_spans(p.start, p.end, in_sentence)
        )
        previous_period = None
        for p in periods:
            if p.kind not in _NO_YEAR_KINDS and p.period.start:
                last_year_named = p.period.start.year
            if p.kind not in ("vague", "now", "today", "weekday"):
                previous_period = p.period  # for "in the same period" in the next sentence
        resolved: list[tuple[AttributionMention, str]] = []
        # a table row or caption ("| Table 2. Executions reported by witnesses |") names no source
        table_row = text.startswith("|", text.rfind("\n", 0, sent.start) + 1)
        mentions = () if table_row else find_attributions(text, sent.start, sent.end)
        named_here = {m.who for m in mentions}
        for body in () if table_row else document_bodies(text, sent.start, sent.end):
            if body not in named_here:  # an attribution's own name is added below
                names.note(body)
        for mention in mentions:
            who = names.resolve(mention)
            if mention.generic == "it" and who == mention.who:
                continue  # "It said ...", and no body named before: no attribution
            resolved.append((mention, who))
            names.add(*resolved[-1])
        if sent.paragraph != paragraph:
            # "Arrivals by year:" introduces the list in the next paragraph
            paragraph, paragraph_attribution = sent.paragraph, None
            heading_subject = heading_subject if heading_colon else None
        heading_colon = False
        cues = tuple(find_cues(text, sent.start, sent.end))
        info = _SentenceInfo(
            sentence=sent,
            periods=periods,
            attributions=tuple(resolved),
            cues=cues,
            places=tuple(gazetteer.find(text, sent.start, sent.end)),
            earlier_attribution=paragraph_attribution,
            furniture=tuple(in_sentence),
            heading_subject=heading_subject,
            published=published,
        )
        carried = [r for r in resolved if not r[0].local]
        if carried:
            paragraph_attribution = carried[-1]
        drafts = _sentence_claims(text, info, found)
        found.add(drafts)
        if drafts and drafts[0].period is not None and drafts[0].measure_flow():
            # "1,277 arrivals in 2015, down from 1,396 in 2014. In the same period, ...":
            # the sentence's main figure, not its comparison
            previous_period = drafts[0].period
        heading = _heading_subject(text, sent, cues) if not drafts else None
        if heading is not None:
            # "Arrivals in the South" over a slide's bullets, "| Year | Arrivals |" over a table
            heading_subject = heading
            heading_colon = text[sent.start : sent.end].rstrip().endswith(":")
    return [_finish(text, d) for d in _drop_repeated_title(text, found.drafts)]


def _drop_repeated_title(text: str, drafts: Sequence[_Draft]) -> list[_Draft]:
    """Leave out the claims of a title line whose numbers the body states again.

    A headline ("Timeline: nine young North Koreans sent back from Laos")
    summarises the body: the body's sentence is the claim. The title lines are
    the lines without sentence punctuation that make claims before the first
    prose sentence or line, among the first few sentences (a site name or a
    kicker may come first).

    Args:
        text: Document text.
        drafts: All claims in text order.

    Returns:
        The claims without the repeated title's.
    """
    title: set[int] = set()  # sentence indexes of the lead's title lines
    for d in drafts:
        if (
            d.sentence.index >= _TITLE_MAX_INDEX
            or _ends_like_prose(text, d.sentence)
            or _PROSE_LINE.search(text, 0, d.sentence.start)
        ):
            break  # the body starts: a kicker or a site name may come before the headline
        title.add(d.sentence.index)
    if not title:
        return list(drafts)
    later = {d.value for d in drafts if d.sentence.index not in title}
    return [d for d in drafts if d.sentence.index not in title or d.value not in later]


_TITLE_MAX_INDEX = 4
_PROSE_LINE = re.compile(r"[.!?:;\"”’)][ \t]*(?:\n|$)")


_HEADING_MAX_WORDS = 10


def _heading_subject(text: str, sent: Sentence, cues: Sequence[Cue]) -> str | None:
    """The subject a short heading line names for the items under it.

    Args:
        text: Document text.
        sent: A sentence that made no claim.
        cues: Its subject cues.

    Returns:
        The subject of its strongest cue when it is short (a heading, a table
        header), else ``None``.
    """
    line = text[sent.start : sent.end].rstrip()
    words = [w for w in line.split() if w != "|"]  # a table header's cell bars are no words
    if not cues or len(words) > _HEADING_MAX_WORDS or line.endswith((".", "!", "?", ";")):
        return None
    best = max(cues, key=lambda c: c.strength)
    return None if best.subject in NON_CLAIM_SUBJECTS else best.subject


def _sentence_claims(text: str, info: _SentenceInfo, previous: _Claims) -> list[_Draft]:
    """Claims of one sentence.

    Args:
        text: Document text.
        info: The sentence's findings.
        previous: Claims found so far in the document.

    Returns:
        New drafts in text order.
    """
    sent = info.sentence
    if _QUESTION_END.search(text, max(sent.start, sent.end - 4), sent.end):
        return []  # "Is it true that 600 were returned?": a question asserts no number
    excluded: list[tuple[int, int]] = [(p.start, p.end) for p in info.periods]
    excluded += [(p.start, p.end) for p in info.places]
    excluded += [(m.start(), m.end()) for m in _TRAP_SPANS.finditer(text, sent.start, sent.end)]
    excluded += [(m.start(), m.end()) for m in _RATIO.finditer(text, sent.start, sent.end)]
    excluded += info.furniture
    every = _EVERY.search(text, sent.start, sent.end)
    dl = _DATELINE.match(text, sent.start, sent.end)
    if dl:
        excluded.append((dl.start(), dl.end()))
    numbers = find_numbers(text, sent.start, sent.end)
    for m in _ID_SEQUENCE.finditer(text, sent.start, sent.end):
        parts = [p.replace(",", "") for p in re.split(r"\s*[-–/]\s*", m.group(0))]
        if (
            len(parts) == 2
            and "/" not in m.group(0)
            and all(len(p) <= 6 for p in parts)
            and not parts[1].startswith("0")
            and int(parts[1]) > int(parts[0])
        ):
            continue  # a possible range "200-600"; judged below
        excluded.append((m.start(), m.end()))
    cands = [n for n in numbers if _is_trap(text, n, sent, excluded) is None]
    if every:
        base = find_numbers(text, every.start(1), every.end(1))
        if base:  # "out of every ten women ..., seven ...": a proportion, not counts
            cands = [n for n in cands if n.value > base[0].value]
    cands = _join_compound_durations(text, cands, sent)
    ranges = _find_ranges(text, cands)
    range_of: dict[int, tuple[int, int]] = {}
    for lo_i, hi_i in ranges.values():
        range_of[lo_i] = (lo_i, hi_i)
        range_of[hi_i] = (lo_i, hi_i)
    # "26 percent and 46 percent in 2007 and 2006, respectively": pair them in order
    respectively: dict[int, PeriodMention] = {}
    resp = _RESPECTIVELY.search(text, sent.start, sent.end)
    if resp is not None:
        idxs = [k for k, c in enumerate(cands) if c.end <= resp.start() and k not in range_of]
        pers = [p for p in info.periods if p.end <= resp.start() and p.kind != "vague"]
        if len(idxs) == len(pers) >= 2:
            respectively = dict(zip(idxs, pers, strict=True))
    blockers: list[tuple[int, int]] = []
    seen: set[int] = set()
    for i, n in enumerate(cands):
        if i in seen:
            continue
        lo_c, hi_c = (cands[range_of[i][0]], cands[range_of[i][1]]) if i in range_of else (n, n)
        if _duration(text, lo_c, hi_c, sent) is not None:
            # "40 people were jailed for 10 years in 2022": the term does not hide the year
            seen.update(range_of.get(i, (i, i)))
            continue
        if i in range_of:
            lo_i, hi_i = range_of[i]
            blockers.append((cands[lo_i].start, cands[hi_i].end))
            seen.update((lo_i, hi_i))
        elif n.percent or _head(text, n.end, sent.end)[0] not in NON_PEOPLE_UNITS:
            blockers.append((n.start, n.end))
        # "with two engines running", "at five crossing points": no people, no claim, no block
    # "845 women out of 1,047 arrivals in 2019": one group for blocking
    merged: list[tuple[int, int]] = []
    for span in blockers:
        join = text[merged[-1][1] : span[0]] if merged else ""
        if merged and _GROUP_JOIN.match(join) and join.rstrip()[-1:] in ",(—–-":
            # an apposition: only a breakdown by sex or age ("-- 27 women and 28 men --")
            breakdown = _ENUM_HEAD.match(text, span[1], sent.end) is not None
        else:
            breakdown = True
        if merged and breakdown and (_GROUP_JOIN.match(join) or _ENUM_JOIN.match(join)):
            merged[-1] = (merged[-1][0], span[1])
        else:
            merged.append(span)
    blockers = merged
    out: list[_Draft] = []
    done: set[int] = set()
    for i in range(len(cands)):
        if i in done:
            continue
        members = [i]
        if i in range_of:
            lo_i, hi_i = range_of[i]
            members = [lo_i, hi_i]
            done.update(members)
        first, last = cands[members[0]], cands[members[-1]]
        own = (first.start, last.end)
        percent = last.percent
        head, words, run_end = _head(text, last.end, sent.end)
        duration = None if percent else _duration(text, first, last, sent)
        sex, sex_predicated = _sex(text, last, words, sent)
        antecedent: _Draft | None = None
        period: Period | None
        measure = "flow"
        if duration is not None:
            # "23 years in a camp", "sentenced to 15 years": how long, not how many
            subject, unit_of_time = duration
            strength, subject_source = 3, "duration"
            period, period_source, measure = None, "duration", "duration"
            sex = None
        else:
            unit_of_time = ""
            if head in NON_PEOPLE_UNITS and not percent:
                continue
            if not percent and _counts_things(text, sent, first):
                continue
            picked = _subject_of(
                text,
                first,
                last,
                own,
                head,
                run_end,
                percent,
                sex_predicated,
                info,
                blockers,
                out,
                previous,
            )
            if picked is None:
                continue
            subject, strength, subject_source, cue_used, antecedent, anaphor = picked
            if subject in NON_CLAIM_SUBJECTS:
                continue
            period, period_source = _period_of(
                text,
                own,
                first,
                info,
                blockers,
                cue_used,
                antecedent,
                anaphor,
                out,
                previous,
                percent,
                respectively.get(members[0]),
            )
            period, measure = _stock(text, first, sent, period, info)
            if subject == "population":
                # how many live in a country: a year or a date of the count, never "since ..."
                if period is not None and period.granularity == "cumulative-to":
                    period = None
                measure = "stock"
        attribution = _pick_attribution(text, own, info)
        place = _pick_place(text, own, info)
        kind = "count"
        unit = unit_of_time or "people"
        if percent:
            before_txt = text[max(sent.start, first.start - 40) : first.start]
            after_txt = text[last.end : min(sent.end, last.end + 30)]
            if _CHANGE_BEFORE.search(before_txt) or _CHANGE_AFTER.match(after_txt):
                kind, unit = "rate", "percent change"
            else:
                kind, unit = "share", "percent"
        elif not unit_of_time and _PER_YEAR.match(text[run_end : min(sent.end, run_end + 30)]):
            unit = "people per year"
        q_before = qualifier_before(text[max(sent.start, first.start - 40) : first.start])
        qualifier = q_before[0] if q_before else None
        if qualifier is None:
            qualifier = qualifier_after(text[last.end : min(sent.end, last.end + 10)])
        if (
            qualifier is None
            and measure == "stock"
            and _MILESTONE.search(text, max(sent.start, first.start - 80), first.start)
        ):
            qualifier = "over"  # "exceeded ten-thousand in 2006 and 20-thousand in 2010"
        if qualifier is None:
            qualifier = "about" if "dozen" in text[first.start : last.end].lower() else "exact"
        confidence = 0.5 + {3: 0.25, 2: 0.15, 1: 0.0}[strength]
        confidence += 0.1 if period_source == "sentence" else 0.0
        confidence += 0.05 if attribution else 0.0
        confidence -= 0.1 if subject_source == "inherited" else 0.0
        confidence = round(min(0.95, max(0.1, confidence)), 2)
        for role, idx in (
            zip(("low", "high"), members, strict=True) if len(members) == 2 else (("", members[0]),)
        ):
            num = cands[idx]
            value = num.value
            if kind == "share":
                value = value / 100.0
            elif kind == "rate":
                value = value / 100.0
                context = text[max(sent.start, first.start - 40) : min(sent.end, last.end + 30)]
                if _NEGATIVE_CHANGE.search(context):
                    value = -value
            q = qualifier
            extra: dict[str, str] = {
                "number_start": str(num.start),
                "number_end": str(num.end),
                "number_text": text[num.start : num.end],
                "subject_source": subject_source,
                "period_source": period_source,
                "measure": measure,
            }
            if role:
                q = "at least" if role == "low" else "up to"
                lo_n, hi_n = cands[members[0]], cands[members[1]]
                low_v, high_v = lo_n.value, hi_n.value
                extra.update(range_low=f"{low_v:g}", range_high=f"{high_v:g}", range_role=role)
                if kind in ("share", "rate"):
                    value = num.value / 100.0
            own_unit = unit
            if role == "low" and unit_of_time:
                # "six months to two years": the low end has its own unit
                mu = _LOW_END_UNIT.match(text, num.end, sent.end)
                if mu is not None:
                    own_unit = mu.group(1).lower().rstrip("s") + "s"
            out.append(
                _Draft(
                    number=num,
                    value=value,
                    kind=kind,
                    unit=own_unit,
                    qualifier=q,
                    subject=subject,
                    subject_source=subject_source,
                    sex=sex,
                    period=period,
                    period_source=period_source,
                    place=place,
                    attribution=attribution,
                    sentence=sent,
                    confidence=confidence,
                    extra=extra,
                )
            )
    return out


_COMPOUND_JOIN = re.compile(r"[ \t]*-?[ \t]*years?,?[ \t]+and[ \t]+$", re.IGNORECASE)
_MONTHS_AFTER = re.compile(r"[ \t]*-?[ \t]*months?\b", re.IGNORECASE)


def _join_compound_durations(
    text: str, cands: Sequence[NumberMention], sent: Sentence
) -> list[NumberMention]:
    """Join "two years and six months" into one number of months (30).

    Args:
        text: Document text.
        cands: The sentence's candidate numbers in text order.
        sent: The sentence.

    Returns:
        The candidates, each compound duration as one mention in months.
    """
    out: list[NumberMention] = []
    i = 0
    while i < len(cands):
        n = cands[i]
        if i + 1 < len(cands) and not n.percent:
            nxt = cands[i + 1]
            if (
                _COMPOUND_JOIN.fullmatch(text, n.end, nxt.start)
                and _MONTHS_AFTER.match(text, nxt.end, sent.end)
                and nxt.value < 12
            ):
                out.append(
                    replace(nxt, start=n.start, value=n.value * 12 + nxt.value, integer_digits="")
                )
                i += 2
                continue
        out.append(n)
        i += 1
    return out


def _counts_things(text: str, sent: Sentence, first: NumberMention) -> bool:
    """Whether "the number of X" before a number names things, not people.

    Args:
        text: Document text.
        sent: The sentence.
        first: The number.

    Returns:
        True for "the number of sea crossings this year at three".
    """
    m = _NUMBER_OF.search(text[max(sent.start, first.start - 90) : first.start])
    return m is not None and m.group("noun").lower() in NON_PEOPLE_UNITS


def _subject_of(
    text: str,
    first: NumberMention,
    last: NumberMention,
    own: tuple[int, int],
    head: str | None,
    run_end: int,
    percent: bool,
    sex_predicated: bool,
    info: _SentenceInfo,
    blockers: Sequence[tuple[int, int]],
    out: Sequence[_Draft],
    previous: _Claims,
) -> tuple[str, int, str, Cue | None, _Draft | None, bool] | None:
    """The subject of a number (see the module docstring, step 3).

    Args:
        text: Document text.
        first: The number (or the low end of its range).
        last: The number (or the high end of its range).
        own: Span of the number or range.
        head: Head noun after it.
        run_end: End of the head-noun run.
        percent: Whether it is a percentage.
        sex_predicated: Whether a sex is predicated of it ("were women").
        info: The sentence's findings.
        blockers: Spans of other candidate numbers.
        out: The sentence's claims so far.
        previous: The claims of earlier sentences.

    Returns:
        (subject, strength, how it was found, the cue, the antecedent claim,
        whether the number refers back), or ``None`` when it has none.
    """
    sent = info.sentence
    if (
        out
        and head is None
        and not percent
        and _PARTITIVE_AFTER.match(text, last.end, sent.end)
        and _APPOSED_BEFORE.search(text, max(sent.start, first.start - 16), first.start)
    ):
        part_of = out[-1]
        if part_of.kind == "count" and part_of.unit not in _TIME_UNITS:
            return part_of.subject, 2, "subset", None, part_of, True
    subj = _pick_subject(text, last, own, head, run_end, info, blockers)
    compared: str | None = None
    backref = None
    if (
        subj is None
        and not percent
        and _BACKREF_BEFORE.search(text[max(sent.start, first.start - 12) : first.start])
    ):
        backref = next(
            (d for d in reversed(out) if d.kind == "count" and d.value == first.value),
            previous.count_by_value.get(first.value),
        )
    if out and _COMPARE_BEFORE.search(text[max(sent.start, first.start - 30) : first.start]):
        attached_cue = subj is not None and any(
            last.end <= c.start <= run_end + 1 for c in info.cues
        )
        if not attached_cue:
            subj = None
            compared = out[0].subject
    anaphor = _refers_back(text, sent, last)
    if compared is not None:
        return compared, 2, "comparison", None, None, anaphor
    if backref is not None:
        # "the 196", "of the 67": a figure named before, counted again
        return backref.subject, 2, "back-reference", None, backref, anaphor
    if subj is not None:
        subject, strength, cue = subj
        return subject, strength, "cue", cue, None, anaphor
    if (
        not percent
        and last.value >= _POPULATION_MIN
        and (head is None or head in _POPULATION_HEADS)
        and not _NOT_POPULATION.search(
            text, max(sent.start, first.start - 40), min(sent.end, last.end + 40)
        )
    ):
        # "over 25 million people": no event happens to that many people but living there
        return "population", 2, "population", None, None, anaphor
    if head is not None and head not in GENERIC_PEOPLE and not percent:
        return None
    subset = bool(_SUBSET_START.fullmatch(text, sent.start, first.start)) and bool(
        _SUBSET_VERB.match(text, last.end, sent.end)
    )
    antecedent: _Draft | None = None
    if anaphor or sex_predicated or subset:
        antecedent = _antecedent(previous, out)
    elif (head is None or percent) and _ends_like_prose(text, sent):
        # a bare number in a line without sentence punctuation is an item of its own
        # (a headline of another story, a table row): it does not continue the paragraph
        antecedent = _antecedent(previous, out, sent.paragraph)
    if antecedent is None and info.heading_subject is not None and head is None:
        # "- 2016: 1,418" under "Arrivals in the South", "| 2018 | 1,137 |" under "| Arrivals |"
        return info.heading_subject, 1, "heading", None, None, anaphor
    if antecedent is None or antecedent.unit in _TIME_UNITS:
        return None
    return antecedent.subject, 1, "inherited", None, antecedent, anaphor


def _refers_back(text: str, sent: Sentence, last: NumberMention) -> bool:
    """Whether the text up to just after a number refers back to an earlier figure.

    Args:
        text: Document text.
        sent: The sentence.
        last: The number (or the high end of its range).

    Returns:
        True when the number counts the rest of a group named before ("Four
        others", "The remaining five") or an anaphor ("of them", "the figure",
        "Of the 27") ends within 12 characters after the number; its own
        look-ahead ("of those who ..." defines its group, refers to nothing)
        reads the rest of the sentence.
    """
    if _OTHERS_AFTER.match(text, last.end, sent.end) or _REMAINING_BEFORE.search(
        text[max(sent.start, last.start - 16) : last.start]
    ):
        return True  # "Four others received terms", "The remaining five": the same event's
    if _DEFINITE_START.fullmatch(text, sent.start, last.start) and _DEFINITE_AFTER.match(
        text, last.end, sent.end
    ):
        return True  # "The eight women and four men had hoped to ...": the group named before
    limit = min(sent.end, last.end + 12)
    m = _ANAPHOR.search(text, sent.start, sent.end)
    while m is not None and m.start() < limit:
        if m.end() <= limit:
            return True
        m = _ANAPHOR.search(text, m.start() + 1, sent.end)
    return False


def _ends_like_prose(text: str, sent: Sentence) -> bool:
    """Whether a sentence ends with sentence punctuation (not a headline or a list line).

    Args:
        text: Document text.
        sent: The sentence.

    Returns:
        True for prose.
    """
    tail = text[max(sent.start, sent.end - 3) : sent.end].rstrip()
    return tail.endswith((".", "!", "?", '"', "”", "’", ")", ":", ";"))


def _period_of(
    text: str,
    own: tuple[int, int],
    first: NumberMention,
    info: _SentenceInfo,
    blockers: Sequence[tuple[int, int]],
    cue: Cue | None,
    antecedent: _Draft | None,
    anaphor: bool,
    out: Sequence[_Draft],
    previous: _Claims,
    percent: bool,
    assigned: PeriodMention | None,
) -> tuple[Period | None, str]:
    """The period of a number (see the module docstring, step 4).

    Args:
        text: Document text.
        own: Span of the number or range.
        first: The number (or the low end of its range).
        info: The sentence's findings.
        blockers: Spans of other candidate numbers.
        cue: The subject cue, if any.
        antecedent: The claim it refers back to, if any.
        anaphor: Whether it refers back.
        out: The sentence's claims so far.
        previous: The claims of earlier sentences.
        percent: Whether it is a percentage (a rate takes the period of what
            changed, not of the comparison: "down 8.7 percent from the year
            before").
        assigned: The period "respectively" pairs it with, if any.

    Returns:
        (period, how it was found).
    """
    sent = info.sentence
    if assigned is not None:
        return assigned.period, "respectively"
    reached = _CHANGE_TO.search(text[max(sent.start, first.start - 120) : first.start]) is not None
    pmention = _pick_period(text, own, info, blockers, cue, skip_shift=percent or reached)
    if pmention is None and percent and _TO_NEW_COUNT.match(text, own[1], sent.end):
        # "rose 23.3 percent to 238 last year": the change has the new count's period
        pmention = _pick_period(text, own, info, (), cue, skip_shift=True)
    if pmention is not None and pmention.kind == "vague":
        return None, "vague"
    if (
        pmention is not None
        and percent
        and pmention.start >= first.end
        and _COMPARED_WITH.search(text, max(sent.start, pmention.start - 20), pmention.start)
        and _CHANGE_WORD.search(text, sent.start, sent.end)
    ):
        # "That was a fall of 78.1 percent from 2019": 2019 is the base of the change; the
        # change is of the sentence's other period, or of the period named before
        others = tuple(
            p
            for p in info.periods
            if not _COMPARED_WITH.search(text, max(sent.start, p.start - 20), p.start)
        )
        again = _pick_period(
            text, own, replace(info, periods=others), blockers, cue, skip_shift=True
        )
        if again is None and others:
            # "rose 12.7 percent from 2022 to 224 in 2023": the period past the count reached
            again = min(others, key=lambda p: abs(p.start - own[1]))
        if again is not None and again.kind != "vague":
            return again.period, "sentence"
        ante = _antecedent(previous, out, sent.paragraph)
        return (ante.period if ante is not None else None), "base of a change"
    if pmention is not None:
        period = pmention.period
        if pmention.kind == "today" and _STATE.search(text, sent.start, sent.end):
            # "Today, 2,000 are held": a stock as of publication, not an event of the day
            period = Period(None, period.end, "cumulative-to")
        return period, "sentence"
    if _PRESENT_HOLDING.search(text, sent.start, sent.end) and not info.periods:
        return None, "present state"
    if antecedent is not None:
        return antecedent.period, "antecedent"
    if _SAME_DAY.search(text, sent.start, sent.end):
        # "Eleven others were sentenced on the same day": the day of the latest dated claim
        for d in reversed([*previous.drafts[-_SAME_DAY_LOOKBACK:], *out]):
            if d.period is not None and d.period.granularity == "day":
                return d.period, "same day"
    if info.periods and out:
        # every period of the sentence is taken by an earlier number: share its frame
        return out[-1].period, "sentence frame"
    if anaphor and (ante := _antecedent(previous, out)) is not None:
        return ante.period, "antecedent"
    return None, "none"


def _stock(
    text: str, first: NumberMention, sent: Sentence, period: Period | None, info: _SentenceInfo
) -> tuple[Period | None, str]:
    """Whether a number is a stock (a total to a date) and its period as one.

    A cumulative-to period is a stock. So is a number called cumulative ("a
    cumulative 34,078", "bringing the cumulative number to ...") or a
    milestone passed ("topped 30-thousand in November 2016"): its period
    becomes the cumulative period to the end of the stated one.

    Args:
        text: Document text.
        first: The number (or the low end of its range).
        sent: Its sentence.
        period: The period found for it.
        info: The sentence's findings.

    Returns:
        (period, "stock" or "flow").
    """
    if period is not None and period.granularity == "cumulative-to":
        return period, "stock"
    lo = max(sent.start, first.start - 80)
    stock = bool(_STOCK_CUE.search(text, lo, first.start)) or bool(
        _MILESTONE.search(text, lo, first.start)
    )
    if stock and _PER_YEAR.match(text[first.end : min(sent.end, first.end + 30)]):
        stock = False  # "topped 1,000 every year": a yearly flow
    if not stock:
        return period, "flow"
    cumulative = [
        p
        for p in info.periods
        if p.period.granularity == "cumulative-to"
        and ";" not in text[min(p.start, first.start) : max(p.end, first.end)]
    ]
    if cumulative:
        # "the cumulative number in 2024 reached 34,078 as of the end of June": the stock's date
        return min(cumulative, key=lambda p: abs(p.start - first.start)).period, "stock"
    if period is not None and period.end is not None:
        end = period.end
        if info.published is not None and end > info.published:
            end = info.published  # "the total for this year": so far
        # a year's running total starts with the year; a milestone counts from the beginning
        start = period.start if period.granularity == "year" else None
        return Period(start, end, "cumulative-to"), "stock"
    return period, "stock"


# a wrapped line may part the number from its unit ("served six\nmonths in a camp")
_DUR_UNIT = re.compile(
    r"[ \t]*(?:\n[ \t]*)?-?[ \t]*(?P<u>years?|months?|weeks?|days?)\b", re.IGNORECASE
)
_DUR_NOT = re.compile(
    r"\s*(?:-?\s*old|ago|later|after|earlier|before|on\b|into\b|of\s+age|running|in\s+a\s+row)",
    re.IGNORECASE,
)
_DUR_TERM_AFTER = re.compile(
    r"[\s-]*(?:(?:prison|jail|labou?r|camp|reform|re-education)[\s-]+)?(?:sentences?|terms?)\b",
    re.IGNORECASE,
)
_HOLDING_PLACE = (
    r"holding\s+(?:centres?|centers?|facilit(?:y|ies)|cells?)|police\s+stations?"
    r"|interrogation\s+(?:centres?|centers?|facilit(?:y|ies))"
)
_DUR_DETENTION = re.compile(
    rf"\bdetention\b|\bcustody\b|\bdetain|\b(?:{_HOLDING_PLACE})\b", re.IGNORECASE
)
_DUR_PLACE_AFTER = re.compile(
    rf"\s*(?:(?:of|in)\s+(?:[\w'’-]+\s+){{0,3}}?)?(?:in|inside|at|behind|within)\s+"
    rf"(?:[\w'’-]+\s+){{0,4}}?(?:{_CAMP_WORDS}|detention|custody)\b"
    rf"|\s*(?:in|inside|at|within)\s+(?:[\w'’.-]+\s+){{0,7}}?(?:{_HOLDING_PLACE})\b"
    r"|\s+(?:there|behind\s+bars)\b",
    re.IGNORECASE,
)
_DUR_LABOUR_AFTER = re.compile(
    r"\s+of\s+(?:(?:hard|forced|correctional|penal)\s+labou?r|reform\s+through\s+labou?r"
    r"|labou?r\s+(?:training|reform)|imprisonment|re-education|prison)",
    re.IGNORECASE,
)
_DUR_SENTENCED_BEFORE = re.compile(
    r"\b(?:sentenc(?:ed|es|ing)|sentence\s+of|given|received|handed(?:\s+down)?|gets?|got"
    # a statutory term: "carries up to five years", "punishable by", "a maximum of"
    r"|carr(?:y|ies|ied|ying)|punishable\s+(?:by|with)|maximum(?:\s+(?:penalty|sentence|term))?"
    r"(?:\s+of)?|(?:sentenced|condemned)\s+to\s+terms?\s+of)\s+"
    # "were handed prison terms of up to 15 years": the terms given, not time served
    r"(?:\w+\s+){0,2}?(?:(?:terms?|sentences?)\s+of\s+)?(?:to\s+)?(?:a\s+|an\s+)?"
    r"(?:(?:up\s+to|at\s+least|between|some|about"
    r"|nearly|almost|(?:more|less|fewer)\s+than)\s+)?$",
    re.IGNORECASE,
)
_DUR_TERMS_OF = re.compile(
    r"\b(?:terms?|sentences?)\s+of\s+(?:(?:up\s+to|at\s+least|between|some|about|nearly"
    r"|almost|(?:more|less|fewer)\s+than)\s+)?$",
    re.IGNORECASE,
)
_DUR_SERVING = re.compile(
    r"\b(?:serv(?:e|es|ed|ing)|spent|spend|spends|held|kept|imprisoned|jailed|incarcerated)\b",
    re.IGNORECASE,
)
_DUR_HELD_BEFORE = re.compile(
    r"\b(?:spent|spend|spends|served|serving|serve|serves|held|kept|imprisoned|jailed|detained"
    r"|incarcerated|locked\s+up|face|faces|facing|terms?\s+of)\b(?:\s+[\w'’-]+){0,6}?"
    r"\s+(?:for\s+)?(?:(?:up\s+to|at\s+least|between|some|about|nearly|almost"
    r"|(?:more|less|fewer)\s+than)\s+)?$",
    re.IGNORECASE,
)


def _duration(
    text: str, first: NumberMention, last: NumberMention, sent: Sentence
) -> tuple[str, str] | None:
    """Whether a number is a time spent imprisoned or detained, or a prison term.

    "spent 23 years in a camp", "3,000 days in a political prison camp",
    "held in detention for 3 months", "sentenced to 15 years of reform through
    labour", "a six-month sentence", "terms of 10 to 15 years in a camp" (a sentence
    wherever it is served). Not: ages, "5 years ago", "for years", time spent in China or
    at work.

    Args:
        text: Document text.
        first: The number (or the low end of its range).
        last: The number (or the high end of its range).
        sent: Its sentence.

    Returns:
        (subject, unit) or ``None``.
    """
    m = _DUR_UNIT.match(text, last.end, sent.end)
    if m is None or first.percent:
        return None
    unit = m.group("u").lower()
    unit = unit if unit.endswith("s") else unit + "s"
    after_end = min(sent.end, m.end() + 80)
    if _DUR_NOT.match(text, m.end(), after_end):
        return None
    before = text[max(sent.start, first.start - 70) : first.start]
    if _DUR_TERM_AFTER.match(text, m.end(), after_end):
        return "sentenced", unit
    sentenced = bool(_DUR_SENTENCED_BEFORE.search(before))
    if sentenced:
        return "sentenced", unit
    if _DUR_TERMS_OF.search(before) and not _DUR_SERVING.search(before):
        # "received terms of between five and 12 years in a labour camp": the terms
        # given (a sentence), wherever they are served
        return "sentenced", unit
    place = _DUR_PLACE_AFTER.match(text, m.end(), after_end)
    labour = _DUR_LABOUR_AFTER.match(text, m.end(), after_end)
    held = _DUR_HELD_BEFORE.search(before)
    in_camp = bool(_CAMP_RE.search(text, sent.start, sent.end))
    if place is not None:
        if m.group(0) and place.group(0).strip().startswith(("there", "behind")) and not in_camp:
            return None
        detained = bool(_DUR_DETENTION.search(place.group(0)))
        return ("detained" if detained else "imprisoned"), unit
    if labour is not None:
        return "imprisoned" if held else "sentenced", unit
    if held is not None:
        verb = held.group(0).lower()
        if re.search(r"\b(?:imprisoned|jailed|incarcerated|locked\s+up)\b", verb):
            return "imprisoned", unit
        window = text[max(sent.start, first.start - 70) : after_end]
        if _DUR_DETENTION.search(window):
            return "detained", unit
        if in_camp:
            return "imprisoned", unit
    return None


def _finish(text: str, d: _Draft) -> ExtractedClaim:
    """Turn a draft into an :class:`ExtractedClaim`.

    Args:
        text: Document text.
        d: The draft.

    Returns:
        The claim.
    """
    start, end = _quote_span(text, d.sentence, d.number.start, d.number.end)
    qualifier: Qualifier = d.qualifier  # type: ignore[assignment]
    return ExtractedClaim(
        kind=d.kind,  # type: ignore[arg-type]
        value=d.value,
        qualifier=qualifier,
        unit=d.unit,
        subject=d.subject,
        sex=d.sex,
        period=d.period,
        place=d.place,
        attribution=d.attribution,
        start=start,
        end=end,
        quote=text[start:end],
        confidence=d.confidence,
        method="rules",
        version=EXTRACTOR_VERSION,
        extra=dict(d.extra),
    )
