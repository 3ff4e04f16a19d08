"""Claim extraction: rule families, traps, spans, text conversion, labelled-set quality."""

from __future__ import annotations

import datetime as dt
import itertools
import re
import sys
from pathlib import Path
from types import FrameType

import pytest

import crossings.evidence.extract as extract_pkg
import crossings.evidence.extract.periods as periods_mod
import crossings.evidence.extract.text as text_mod
from crossings.evidence.builtin import named_periods
from crossings.evidence.extract import EXTRACTOR_VERSION, attribution, extract_claims
from crossings.evidence.extract.bench import (
    attribution_agrees,
    gold_period,
    load_gold,
    periods_match,
    run_benchmark,
)
from crossings.evidence.extract.numerals import find_numbers, parse_number_words
from crossings.evidence.extract.periods import find_periods
from crossings.evidence.extract.segment import MAX_SENTENCE, segment
from crossings.evidence.extract.text import html_to_text, plain_to_text
from crossings.evidence.types import ExtractedClaim, NamedPeriod, Period

ARTICLES = Path(__file__).parent / "evidence_articles"
PUB = dt.date(2018, 7, 16)
#: The built-in evidence's named periods: the labelled articles are about North Korea.
NAMED = named_periods()


def one(text: str, published: dt.date | None = PUB, **kw: object) -> ExtractedClaim:
    claims = extract_claims(text, published=published, **kw)  # type: ignore[arg-type]
    assert len(claims) == 1, [(c.value, c.subject, c.extra.get("number_text")) for c in claims]
    return claims[0]


def year(y: int) -> Period:
    return Period(dt.date(y, 1, 1), dt.date(y, 12, 31), "year")


# --------------------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    ("phrase", "value"),
    [
        ("two thousand", 2000),
        ("thirty-one", 31),
        ("a dozen", 12),
        ("one hundred and twenty", 120),
        ("Sixty-seven", 67),
        ("three hundred thousand", 300_000),
        ("two three", None),
    ],
)
def test_number_words(phrase: str, value: float | None) -> None:
    assert parse_number_words(phrase) == value


@pytest.mark.parametrize(
    ("text", "value", "percent"),
    [
        ("1,127 defectors", 1127, False),
        ("1.2 million people", 1_200_000, False),
        ("31 percent", 31, True),
        ("31%", 31, True),
        ("17.7 per cent", 17.7, True),
        ("nearly 3,000", 3000, False),
    ],
)
def test_digits(text: str, value: float, percent: bool) -> None:
    nums = find_numbers(text)
    assert nums[0].value == pytest.approx(value)
    assert nums[0].percent is percent


def test_vague_quantities_are_not_numbers() -> None:
    text = "Hundreds were held, dozens died and tens of thousands fled; several thousand stayed."
    assert find_numbers(text) == []
    assert extract_claims(text, published=PUB) == []


def test_number_in_words_claim() -> None:
    c = one(
        "Sixty-seven North Korean defectors arrived in South Korea last year.",
        published=dt.date(2023, 1, 25),
    )
    assert (c.value, c.subject, c.period) == (67, "arrived", year(2022))


def test_scale_and_dozen() -> None:
    c = one("About 1.2 million people fled across the border in 1997.")
    assert (c.value, c.subject, c.qualifier) == (1_200_000, "escaped", "about")
    c = one("A dozen women were arrested in Hyesan in March 2019.")
    assert (c.value, c.qualifier, c.sex, c.subject) == (12, "about", "female", "detained")


# --------------------------------------------------------------------------- qualifiers


@pytest.mark.parametrize(
    ("phrase", "qualifier"),
    [
        ("about 600", "about"),
        ("around 600", "about"),
        ("approximately 600", "about"),
        ("roughly 600", "about"),
        ("some 600", "about"),
        ("an estimated 600", "about"),
        ("at least 600", "at least"),
        ("no fewer than 600", "at least"),
        ("more than 600", "over"),
        ("over 600", "over"),
        ("upwards of 600", "over"),
        ("nearly 600", "nearly"),
        ("almost 600", "nearly"),
        ("close to 600", "nearly"),
        ("up to 600", "up to"),
        ("as many as 600", "up to"),
        ("fewer than 600", "fewer than"),
        ("less than 600", "fewer than"),
        ("600", "exact"),
        ("600 or more", "over"),
    ],
)
def test_qualifiers(phrase: str, qualifier: str) -> None:
    c = one(f"Police detained {phrase} North Koreans in Yanbian in 2017.")
    assert c.value == 600
    assert c.qualifier == qualifier


def test_comparison_is_not_a_qualifier() -> None:
    claims = extract_claims(
        "Sixty-seven defectors arrived last year, only slightly more than the 63 who came in 2021.",
        published=dt.date(2023, 1, 25),
    )
    assert [(c.value, c.qualifier) for c in claims] == [(67, "exact"), (63, "exact")]


def test_range_gives_two_claims() -> None:
    claims = extract_claims(
        "The commission found that between 80,000 and 120,000 people were held in political "
        "prison camps in 2014.",
        published=PUB,
    )
    assert [(c.value, c.qualifier) for c in claims] == [(80000, "at least"), (120000, "up to")]
    assert all(c.subject == "imprisoned" and c.period == year(2014) for c in claims)
    assert claims[0].extra["range_low"] == "80000" and claims[1].extra["range_role"] == "high"
    dash = extract_claims("China sent back 200-600 people in 2019.", published=PUB)
    assert [c.value for c in dash] == [200, 600]


def test_shares_and_rates() -> None:
    c = one("Women made up 83 percent of last year's arrivals.")
    assert (c.kind, c.value, c.sex, c.subject, c.unit) == (
        "share",
        0.83,
        "female",
        "arrived",
        "percent",
    )
    claims = extract_claims(
        "Only 488 defectors arrived in the first half of 2018, a 17.7 percent drop from the 593 "
        "who came in the same period last year.",
        published=PUB,
    )
    rate = claims[1]
    assert rate.kind == "rate" and rate.value == pytest.approx(-0.177)
    assert claims[2].period == Period(dt.date(2017, 1, 1), dt.date(2017, 6, 30), "half-year")


# --------------------------------------------------------------------------- periods


def _period(text: str, published: dt.date | None = PUB) -> Period:
    mentions = find_periods(text, 0, len(text), published)
    assert mentions, text
    return mentions[0].period


@pytest.mark.parametrize(
    ("text", "start", "end", "gran"),
    [
        ("in 2017", dt.date(2017, 1, 1), dt.date(2017, 12, 31), "year"),
        ("last year", dt.date(2017, 1, 1), dt.date(2017, 12, 31), "year"),
        ("this year", dt.date(2018, 1, 1), dt.date(2018, 12, 31), "year"),
        ("the first half of 2018", dt.date(2018, 1, 1), dt.date(2018, 6, 30), "half-year"),
        ("the third quarter of 2019", dt.date(2019, 7, 1), dt.date(2019, 9, 30), "quarter"),
        ("in March 2019", dt.date(2019, 3, 1), dt.date(2019, 3, 31), "month"),
        ("on 9 October 2023", dt.date(2023, 10, 9), dt.date(2023, 10, 9), "day"),
        ("on October 9, 2023", dt.date(2023, 10, 9), dt.date(2023, 10, 9), "day"),
        ("between 2012 and 2019", dt.date(2012, 1, 1), dt.date(2019, 12, 31), "range"),
        ("since 1998", dt.date(1998, 1, 1), PUB, "cumulative-to"),
        ("as of end-2019", None, dt.date(2019, 12, 31), "cumulative-to"),
        ("as of the end of December", None, dt.date(2017, 12, 31), "cumulative-to"),
        ("so far this year", dt.date(2018, 1, 1), PUB, "cumulative-to"),
        ("2009 figures", dt.date(2009, 1, 1), dt.date(2009, 12, 31), "year"),
        ("in fiscal 2019", dt.date(2019, 1, 1), dt.date(2019, 12, 31), "year"),
        ("in October", dt.date(2017, 10, 1), dt.date(2017, 10, 31), "month"),
        ("the first five months of this year", dt.date(2018, 1, 1), dt.date(2018, 5, 31), "range"),
        (
            "the three months to the end of September",
            dt.date(2017, 7, 1),
            dt.date(2017, 9, 30),
            "range",
        ),
    ],
)
def test_periods(text: str, start: dt.date | None, end: dt.date, gran: str) -> None:
    assert _period(text) == Period(start, end, gran)  # type: ignore[arg-type]


def test_last_year_depends_on_publication_date() -> None:
    text = "A record 2,927 defectors arrived in South Korea last year."
    assert one(text, published=dt.date(2010, 1, 18)).period == year(2009)
    assert one(text, published=dt.date(2015, 6, 1)).period == year(2014)
    assert one(text, published=None).period is None


def test_same_period_last_year_and_that_year() -> None:
    claims = extract_claims(
        "Arrivals in the fourth quarter of 2019 numbered 287, up from 237 in the third quarter.",
        published=dt.date(2020, 1, 21),
    )
    assert [c.period.start for c in claims if c.period] == [
        dt.date(2019, 10, 1),
        dt.date(2019, 7, 1),
    ]
    c = one("She crossed in 2009. She was one of 5,000 people sent back by China that year.")
    assert c.period == year(2009)


# --------------------------------------------------------------------------- subjects and sex


@pytest.mark.parametrize(
    ("sentence", "subject"),
    [
        ("In 2017, 1,127 defectors arrived in South Korea.", "arrived"),
        ("31,339 North Koreans had resettled in the South by 2017.", "arrived"),
        ("Liberty in North Korea helped 97 refugees reach South Korea in 2018.", "arrived"),
        ("China forcibly returned 600 North Koreans in 2023.", "repatriated"),
        ("Russia deported 14 North Korean workers in 2019.", "repatriated"),
        ("At least 3 were handed over to security agents in 2018.", "repatriated"),
        ("Police arrested 51 North Koreans in Shenyang in 2017.", "detained"),
        ("14 people were sentenced to death in 2019.", "sentenced"),
        ("The archive documented 323 public executions in 2019.", "executed"),
        ("Around 20,000 prisoners were held in the camp in 2011.", "imprisoned"),
        ("120,000 people are held in political prison camps.", "imprisoned"),
        ("In 2020, 35 women were trafficked after crossing the river.", "trafficked"),
        ("At least seven people were shot dead near the border in 2020.", "died"),
        ("Some 1,500 labourers escaped from logging camps in 2015.", "escaped"),
        ("North Korea sent 22 athletes to the Games in 2018.", "athletes"),
        ("Twelve fishermen went missing at sea in 2019.", "missing"),
    ],
)
def test_subject_mapping(sentence: str, subject: str) -> None:
    assert one(sentence).subject == subject


def test_relative_clause_does_not_decide_the_subject() -> None:
    c = one(
        "About 600 North Koreans who had been held in Chinese detention centres were "
        "forcibly returned on 9 October 2023."
    )
    assert c.subject == "repatriated"


def test_of_whom_subset_inherits_subject_period_and_sets_sex() -> None:
    claims = extract_claims(
        "The Ministry of Unification announced that 1,047 defectors entered South Korea in "
        "2019, of whom 845 were women and 202 were men.",
        published=dt.date(2020, 1, 21),
    )
    assert [(c.value, c.subject, c.sex) for c in claims] == [
        (1047, "arrived", None),
        (845, "arrived", "female"),
        (202, "arrived", "male"),
    ]
    assert all(c.period == year(2019) for c in claims)
    follow = extract_claims(
        "A record 2,927 defectors arrived last year.\n\nAbout 78 percent of them were women.",
        published=dt.date(2010, 1, 18),
    )
    assert (follow[1].value, follow[1].subject, follow[1].period, follow[1].sex) == (
        0.78,
        "arrived",
        year(2009),
        "female",
    )


# --------------------------------------------------------------------------- attribution


@pytest.mark.parametrize(
    ("sentence", "who"),
    [
        (
            "According to the Ministry of Unification, 1,127 defectors arrived in 2017.",
            "Ministry of Unification",
        ),
        (
            "1,127 defectors arrived in 2017, according to figures released on Monday by the "
            "Ministry of Unification in Seoul.",
            "Ministry of Unification",
        ),
        (
            "Human Rights Watch said at least 41 North Koreans were detained in 2017.",
            "Human Rights Watch",
        ),
        (
            "Police detained 51 North Koreans in 2017, Liberty in North Korea said on Wednesday.",
            "Liberty in North Korea",
        ),
        ("Russia deported 14 workers in 2019, said Irina Volkova, a lawyer.", "Irina Volkova"),
        (
            "South Korean lawmakers have put the number of people sent back at about 600 in 2023.",
            "South Korean lawmakers",
        ),
        (
            "Data from the Korea Institute for National Unification showed 120,000 prisoners were "
            "held in camps in 2013.",
            "Korea Institute for National Unification",
        ),
        (
            "The Korea Institute for National Unification estimates that 120,000 prisoners were "
            "held in camps in 2013.",
            "Korea Institute for National Unification",
        ),
        ("The group told reporters that 40 women were detained in Tumen in 2022.", "The group"),
    ],
)
def test_attribution_patterns(sentence: str, who: str) -> None:
    c = one(sentence)
    assert c.attribution is not None
    assert c.attribution.who == who
    assert sentence[c.attribution.start : c.attribution.end] == who


def test_attribution_resolution_and_paragraph_scope() -> None:
    text = (
        "Figures from the Ministry of Unification show 1,127 arrivals in 2017. "
        "Women made up 83 percent of them.\n\n"
        "That was down from 1,418 in 2016, the ministry said.\n\n"
        "In 2009, 2,914 defectors arrived."
    )
    claims = extract_claims(text, published=dt.date(2018, 1, 15))
    whos = [c.attribution.who if c.attribution else None for c in claims]
    assert whos == ["Ministry of Unification"] * 3 + [None]
    assert claims[2].attribution is not None
    assert text[claims[2].attribution.start : claims[2].attribution.end] == "the ministry"


def test_self_attribution_is_none() -> None:
    c = one("We estimate that 60 women were trafficked in 2020.")
    assert c.attribution is None


def test_comparison_and_coordination_and_base_population() -> None:
    claims = extract_claims(
        "Chinese police sent back at least 350 North Koreans in 2019, up from 270 a year "
        "earlier, said Park Ji-won, who tracks arrests.",
        published=dt.date(2020, 2, 3),
    )
    assert [(c.value, c.subject, c.period) for c in claims] == [
        (350, "repatriated", year(2019)),
        (270, "repatriated", year(2018)),
    ]
    c = one(
        "At least 9 of the loggers were later caught by Russian police and handed back to "
        "North Korean security officers in 2017."
    )
    assert c.subject == "repatriated"
    claims = extract_claims(
        "Of those executed in 2014, 35 percent were killed for smuggling.", published=PUB
    )
    assert [(c.value, c.subject, c.kind) for c in claims] == [(0.35, "executed", "share")]


def test_back_reference_and_subset_sentence() -> None:
    text = (
        "Over the full year 2023, 196 North Koreans reached the South. "
        "Women still dominate: 166 of the 196 were women.\n\n"
        "A total of 105 defectors arrived in the first half of 2024. Ten were diplomats, "
        "the ministry said."
    )
    claims = extract_claims(text, published=dt.date(2024, 7, 2))
    got = [
        (c.value, c.subject, c.sex, c.period.start.year if c.period and c.period.start else None)
        for c in claims
    ]
    assert got == [
        (196, "arrived", None, 2023),
        (166, "arrived", "female", 2023),
        (196, "arrived", None, 2023),
        (105, "arrived", None, 2024),
        (10, "arrived", None, 2024),
    ]


def test_delegation_counts() -> None:
    c = one("A 273-member North Korean delegation arrived in Incheon for the Asian Games.")
    assert (c.value, c.subject) == (273, "athletes")
    c = one("The delegation of more than 400 people also included an orchestra.")
    assert (c.value, c.subject, c.qualifier) == (400, "athletes", "over")


def test_since_and_by_the_end_of_merge_and_vague_periods() -> None:
    c = one(
        "The number of defectors who have resettled in the South since 1998 had reached "
        "32,476 by the end of last year.",
        published=dt.date(2019, 1, 22),
    )
    assert c.period == Period(dt.date(1998, 1, 1), dt.date(2018, 12, 31), "cumulative-to")
    c = one(
        "Since the pandemic began, at least 1,500 North Koreans have been detained in China.",
        published=dt.date(2023, 1, 30),
        named_periods=NAMED,
    )
    assert c.period == Period(dt.date(2020, 1, 1), dt.date(2023, 1, 30), "cumulative-to")
    c = one("Before the pandemic, about 1,000 North Koreans a year were sent back from China.")
    assert c.period is None and c.unit == "people per year"
    c = one("In the late 1990s, up to 300,000 people were hiding in China.")
    assert c.period == Period(dt.date(1996, 1, 1), dt.date(1999, 12, 31), "range")


def test_role_and_name_attribution() -> None:
    c = one(
        "According to South Korean lawmaker Lee Jae-sun, at least 2,000 North Koreans were "
        "held in Chinese detention in 2023."
    )
    assert c.attribution is not None and c.attribution.who == "Lee Jae-sun"


# --------------------------------------------------------------------------- traps


@pytest.mark.parametrize(
    "text",
    [
        "This work is licensed under CC BY 4.0.",
        "She won gold in the under 57 kg class in 2016.",
        "Korea Refugee Watch is a 501(c)(3) organisation (EIN 84-2231907).",
        "Give $25 or $50 today to help refugees who escaped.",
        "Call +82-2-2100-5821 or 020 7946 0958 for details.",
        "A 34-year-old woman who escaped in 2009 spoke to us.",
        "Ji-yeon Kang, 34, escaped across the river.",
        "Defectors arrived at 7:30 pm on Thursday 14 March.",
        "Read page 12 of the report on repatriated people.",
        "UN Security Council Resolution 2397 ordered workers home.",
        "Listen to episode 12 of our podcast about defectors who arrived.",
        "The battery was at 80% and the shop offered a 20% discount.",
        "The camp is roughly 31 miles long and 25 miles wide.",
        "One possibility is Kwanliso No. 25 near Chongjin, where prisoners are held.",
        "She lives at 25 Red Lion Square in London.",
        "The Korea Justice Archive interviewed 610 escapees who were detained.",
        "Interviewees were aged between 19 and 54 and had all escaped.",
        "Most had been sold for between 5,000 and 30,000 yuan.",
        "The escapees arrived in 2009; in 2011 and 2016 more arrived.",
        "Contact data@kja.example or see https://example.org/2017/1127-arrivals.",
        "Brokers charged 100 escapees a fee of $2,000 each.",
        "The joint team lost 8-0 to Switzerland, and defectors who arrived cheered.",
        "The 1,400-kilometre border was crossed by smugglers.",
        "Police detained the suspects for 48 hours.",
        "SEOUL, Jan 25 - Defectors arrived in record numbers.",
        "In a survey of 120 women who reached Seoul in 2019, two in five said they were sold.",
        "Out of every ten women who reach Seoul, seven have spent years in China.",
        "In our interviews with 84 women, 51 said they had been detained.",
        "Arrivals fell because of border closures related to COVID-19.",
    ],
)
def test_traps_are_not_claims(text: str) -> None:
    claims = extract_claims(text, published=PUB)
    assert claims == [], [(c.value, c.subject, c.extra.get("number_text")) for c in claims]


def test_unrelated_people_are_not_claims() -> None:
    text = (
        "He estimated that fewer than 100 brokers still operate along the border. "
        "A total of 44 defectors completed vocational training courses in December. "
        "Share this newsletter with 3 friends."
    )
    assert extract_claims(text, published=PUB) == []


# --------------------------------------------------------------------------- spans


def test_spans_are_exact_and_cover_the_sentence() -> None:
    text = (
        "Seoul, July 2018.\n\nOnly 488 North Korean defectors arrived in South Korea in the "
        "first half of 2018. Of those arriving between January and June, 410 were women."
    )
    claims = extract_claims(text, published=PUB)
    assert [c.value for c in claims] == [488, 410]
    for c in claims:
        assert text[c.start : c.end] == c.quote
        ns, ne = int(c.extra["number_start"]), int(c.extra["number_end"])
        assert c.start <= ns < ne <= c.end
        assert text[ns:ne] == c.extra["number_text"]
        assert c.version == EXTRACTOR_VERSION and c.method == "rules"
        assert 0 < c.confidence <= 1
    assert claims[0].quote.startswith("Only 488") and claims[0].quote.endswith("2018.")


def test_long_sentence_quote_is_windowed() -> None:
    filler = " ".join(["the border was closed and guards watched the river"] * 20)
    text = f"In 2019, {filler}, and 600 people were sent back, {filler}."
    c = one(text)
    assert text[c.start : c.end] == c.quote
    assert len(c.quote) < 450 and "600" in c.quote


def test_places_from_gazetteer_and_argument() -> None:
    c = one("Police detained about 40 North Korean women in Helong in November 2022.")
    assert c.place == "Helong"
    c = one(
        "Police detained 40 North Korean women in Fooville in November 2022.", places=("Fooville",)
    )
    assert c.place == "Fooville"


# --------------------------------------------------------------------------- text conversion


_PAGE = """<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8">
<title>Arrivals fall | Border Monitor</title>
<meta property="og:site_name" content="Border Monitor">
<meta name="author" content="Min-ji Park">
<meta property="article:published_time" content="2018-01-15T09:00:00+09:00">
</head><body>
<nav><a href="/">Home</a> <a href="/news">News</a> <a href="/donate">Donate</a></nav>
<article><h1>Arrivals fall</h1>
<p>By Min-ji Park</p>
<p>The number of North Koreans reaching South Korea dropped again last year, with 1,127
defectors arriving in 2017, according to the Ministry of Unification in Seoul.</p>
<p>Women made up 83 percent of last year's arrivals, the ministry said, a share that has been
rising for years as more women leave through China.</p>
<p>Share on Facebook</p>
</article>
<aside><h3>Most popular</h3><ol>
<li><a href="/1">Typhoon leaves 12 dead in Okinawa</a> 4 October 2017</li>
<li><a href="/2">Four defectors reach Seoul by boat</a> 29 September 2017</li></ol></aside>
<div class="donate"><h3>Support our journalism</h3><p>Give $10, $25 or $50 today.</p></div>
<div><p>Sign up for our weekly newsletter</p></div>
<footer><p>© 2018 Border Monitor. Licensed under CC BY-NC 4.0.</p></footer>
</body></html>"""


def test_html_boilerplate_removed_and_metadata_read() -> None:
    doc = html_to_text(_PAGE)
    assert doc.title == "Arrivals fall"
    assert doc.publisher == "Border Monitor"
    assert doc.author == "Min-ji Park"
    assert doc.date == dt.date(2018, 1, 15)
    assert doc.language == "en"
    assert "1,127" in doc.text and "83 percent" in doc.text
    for junk in (
        "Typhoon",
        "Donate",
        "$25",
        "newsletter",
        "CC BY",
        "©",
        "Share on",
        "Most popular",
        "By Min-ji Park",
        "Four defectors",
    ):
        assert junk not in doc.text, junk
    assert "\n\n" in doc.text
    claims = extract_claims(doc.text, published=doc.date)
    assert [(c.value, c.subject) for c in claims] == [(1127, "arrived"), (0.83, "arrived")]


def test_html_without_trafilatura_uses_stdlib_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(text_mod, "_trafilatura_extract", lambda html: None)
    doc = html_to_text(_PAGE)
    assert doc.title == "Arrivals fall | Border Monitor"
    assert doc.date == dt.date(2018, 1, 15) and doc.publisher == "Border Monitor"
    assert "1,127" in doc.text
    for junk in ("Typhoon", "Donate", "$25", "newsletter", "CC BY", "Share on", "By Min-ji"):
        assert junk not in doc.text, junk


def test_html_fallback_without_main_text_still_reads_paragraphs() -> None:
    doc = html_to_text(
        "<html><body><nav>Home</nav><p>Short.</p><footer>© 2020</footer></body></html>"
    )
    assert "Home" not in doc.text and "©" not in doc.text


def test_plain_and_markdown() -> None:
    doc = plain_to_text(
        "Title line\r\n\r\nFirst para\r\nwraps here.\r\n\r\n\r\nSecond.", markdown=False
    )
    assert doc.text == "Title line\n\nFirst para\nwraps here.\n\nSecond."
    assert doc.title == "Title line"
    md = plain_to_text(
        "# Why 2009 was the peak\n\n*By **Tom***\n\nIn 2009, [the ministry](https://x.org) "
        "recorded **2,914** arrivals.\n\n## After 2011\n\n- item one\n* item two\n\n> quoted\n",
        markdown=True,
    )
    assert md.title == "Why 2009 was the peak"
    assert md.text == (
        "Why 2009 was the peak\n\nBy Tom\n\nIn 2009, the ministry recorded "
        "2,914 arrivals.\n\nAfter 2011\n\n- item one\n- item two\n\nquoted"
    )


# --------------------------------------------------------------------------- labelled set


def test_gold_helpers() -> None:
    assert gold_period("2018H1") == Period(dt.date(2018, 1, 1), dt.date(2018, 6, 30), "half-year")
    assert gold_period("cum:..2019-12-31") == Period(None, dt.date(2019, 12, 31), "cumulative-to")
    assert gold_period("range:2012..2019") == Period(
        dt.date(2012, 1, 1), dt.date(2019, 12, 31), "range"
    )
    assert gold_period("cum:1998-01-01..2018-12-31") == Period(
        dt.date(1998, 1, 1), dt.date(2018, 12, 31), "cumulative-to"
    )
    assert gold_period(2017) == Period(dt.date(2017, 1, 1), dt.date(2017, 12, 31), "year")
    assert gold_period(dt.date(2023, 10, 9)) == Period(
        dt.date(2023, 10, 9), dt.date(2023, 10, 9), "day"
    )
    assert gold_period(None) is None
    with pytest.raises(ValueError, match="not a period"):
        gold_period("sometime")
    assert periods_match(
        Period(None, dt.date(2019, 12, 31), "cumulative-to"),
        Period(dt.date(1998, 1, 1), dt.date(2019, 12, 1), "cumulative-to"),
    )
    assert not periods_match(year(2018), year(2017))
    assert attribution_agrees(
        "South Korea's Ministry of Unification", ["the Ministry of Unification"]
    )
    assert not attribution_agrees("Human Rights Watch", ["Ministry of Unification"])


#: The sub-folders of the labelled set (round 5: the round-4 blind set became ``heldout4``;
#: the blind sets of rounds 5 to 14, each measured once, became ``heldout5`` to ``heldout14``).
SPLITS = {
    "dev",
    "dev2",
    "dev3",
    "dev4",
    "dev5",
    "dev6",
    "heldout",
    "heldout2",
    "heldout3",
    "heldout4",
    "heldout5",
    "heldout6",
    "heldout7",
    "heldout8",
    "heldout9",
    "heldout10",
    "heldout11",
    "heldout12",
    "heldout13",
    "heldout14",
}


def test_labelled_set_shape() -> None:
    docs = load_gold(ARTICLES)
    dev = [d for d in docs if d.split == "dev"]
    heldout = [d for d in docs if d.split.startswith("heldout")]
    assert len(dev) >= 20 and len(heldout) >= 8
    assert {d.split for d in docs} == SPLITS
    assert len([d for d in docs if d.split == "dev2"]) >= 15
    assert len([d for d in docs if d.split == "dev3"]) >= 15
    assert len([d for d in docs if d.split == "heldout4"]) >= 15
    assert len([d for d in docs if d.split == "heldout5"]) >= 15
    assert len([d for d in docs if d.split == "heldout6"]) >= 15
    assert len([d for d in docs if d.split == "heldout7"]) >= 14
    assert len([d for d in docs if d.split == "dev4"]) >= 14
    assert len([d for d in docs if d.split == "heldout8"]) >= 15
    assert len([d for d in docs if d.split == "dev5"]) >= 5
    assert len([d for d in docs if d.split == "dev6"]) >= 6
    assert len([d for d in docs if d.split == "heldout9"]) >= 15
    assert len([d for d in docs if d.split == "heldout10"]) >= 15
    assert len([d for d in docs if d.split == "heldout11"]) >= 15
    assert len([d for d in docs if d.split == "heldout12"]) >= 15
    assert len([d for d in docs if d.split == "heldout13"]) >= 15
    assert len([d for d in docs if d.split == "heldout14"]) >= 15
    suffixes = [d.path.suffix for d in docs]
    assert suffixes.count(".html") >= 12 and suffixes.count(".txt") >= 10
    assert suffixes.count(".md") >= 6
    assert all(d.published is not None for d in docs)
    assert any(not d.give_date for d in docs)  # some must read their own dateline


def test_dev_set_meets_targets() -> None:
    report = run_benchmark(ARTICLES, split="dev", named_periods=NAMED)
    claims, attribution = report["claims"], report["attribution"]
    assert isinstance(claims, dict) and isinstance(attribution, dict)
    assert claims["precision"] >= 0.9, claims
    assert claims["recall"] >= 0.9, claims
    assert attribution["precision"] >= 0.9, attribution
    assert attribution["recall"] >= 0.9, attribution
    assert float(str(report["seconds_per_article"])) < 0.25


def test_round4_dev_set_meets_targets() -> None:
    report = run_benchmark(ARTICLES, split="dev2", named_periods=NAMED)
    claims, attribution = report["claims"], report["attribution"]
    assert isinstance(claims, dict) and isinstance(attribution, dict)
    assert claims["precision"] >= 0.95 and claims["recall"] >= 0.95, claims
    assert attribution["precision"] >= 0.95 and attribution["recall"] >= 0.95, attribution
    assert report["furniture_claims"] == 0


def test_round5_dev_set_meets_targets() -> None:
    report = run_benchmark(ARTICLES, split="dev3", named_periods=NAMED)
    claims, attribution = report["claims"], report["attribution"]
    assert isinstance(claims, dict) and isinstance(attribution, dict)
    assert claims["precision"] >= 0.95 and claims["recall"] >= 0.95, claims
    assert attribution["precision"] >= 0.95 and attribution["recall"] >= 0.95, attribution
    assert report["furniture_claims"] == 0


#: REGRESSION GUARDS of the seen sets: split → (claims P, R), (attribution P, R), the most
#: page-furniture numbers. Each floor is the set's figure rounded down, so a later change
#: that loses what a round gained fails; none of these is a quality estimate any more.
#:
#: * ``heldout4``, the round-4 blind set: its blind run with rules-2.0 (after its round-4
#:   label fixes) gave claims 0.926 / 0.870, attribution 0.855 / 0.770; studied in round 5,
#:   rules-2.1 gives 1.000 / 1.000 for both (after two relabels listed in RESULTS.md).
#: * ``heldout5``, the round-5 blind set: its blind run with rules-2.1 gave claims 0.748 /
#:   0.634, attribution 1.000 / 0.788, 7 furniture; tuned on in round 6, rules-2.2 gives
#:   claims 0.890 / 0.802, attribution 1.000 / 0.827, no furniture.
#: * ``heldout6``, the round-6 blind set: its one blind run with rules-2.2 gave claims
#:   0.758 / 0.722, attribution 0.969 / 0.900, no furniture; tuned on in round 7, rules-2.3
#:   gives claims 0.952 / 0.952, attribution 0.974 / 0.904, no furniture.
#: * ``dev4``, the round-6 dev set: rules-2.1 gave claims 0.452 / 0.286; rules-2.2 gives
#:   claims 0.820 / 0.837, attribution 1.000 / 0.917 (remaining errors in RESULTS.md).
#: * ``heldout7``, the round-7 blind set: its one blind run with rules-2.3 gave claims
#:   0.796 / 0.782, attribution 0.844 / 0.720, 1 furniture; tuned on in round 8, rules-2.4
#:   gives attribution 1.000 / 0.867 (claims unchanged).
#: * ``heldout8``, the round-8 blind set: its one blind run with rules-2.4 gave claims
#:   0.750 / 0.778, attribution 0.951 / 0.829, 2 furniture (rules-2.3: attribution
#:   0.918 / 0.800).
#: * ``dev5``, the round-8 dev set: rules-2.4 gives claims 1.000 / 0.941, attribution
#:   1.000 / 1.000.
#: * round 9 (rules-2.5, tuned on ``dev6`` and ``heldout8``): ``heldout8`` claims 0.935 /
#:   0.926, attribution 0.973 / 0.855 (on more matched claims), no furniture; ``dev6``
#:   (rules-2.4: claims 0.607 / 0.552) claims 0.912 / 0.776, attribution 1.000 / 0.944;
#:   ``heldout7`` claims 0.815 / 0.800; ``heldout6`` attribution 0.987 / 0.928.
#: * ``heldout9``, the round-9 blind set: its one blind run with rules-2.5 gave claims
#:   0.682 / 0.640, attribution 0.941 / 0.787, 2 furniture (rules-2.4: claims 0.676 /
#:   0.640, attribution 0.936 / 0.721, 3 furniture). Tuned on in round 10 (five labels
#:   relabelled to the conventions, listed in ``heldout9/README.md``), rules-2.6 gives claims
#:   0.933 / 0.851, attribution 0.949 / 0.893, no furniture.
#: * round 10 also lifted ``heldout7`` (claims 0.832 / 0.809, attribution 1.000 / 0.897),
#:   ``heldout8`` attribution (0.987 / 0.904), ``heldout5`` and ``dev4`` attribution.
#: * ``heldout10``, the round-10 blind set: its one blind run with rules-2.6 gave claims
#:   0.742 / 0.754, attribution 0.966 / 0.814, 2 furniture (rules-2.5: claims 0.695 /
#:   0.695, attribution 1.000 / 0.841, 2 furniture). Tuned on in round 11 (seven re-mentions
#:   relabelled to the conventions, listed in ``heldout10/README.md``), rules-2.7 gives claims
#:   0.958 / 0.904, attribution 1.000 / 0.878, no furniture.
#: * ``heldout11``, the round-11 blind set: its one blind run with rules-2.7 gave claims
#:   0.664 / 0.692, attribution 0.944 / 0.850, 2 furniture (rules-2.6: claims 0.631 / 0.658,
#:   attribution 0.940 / 0.839, 2 furniture). Tuned on in round 12 (four re-mentions
#:   relabelled to the conventions, listed in ``heldout11/README.md``), rules-2.8 gives claims
#:   0.873 / 0.851, attribution 0.957 / 0.848, 1 furniture.
#: * ``heldout12``, the round-12 blind set: its one blind run with rules-2.8 gave claims
#:   0.746 / 0.746, attribution 0.955 / 0.842, no furniture (rules-2.7: claims 0.723 / 0.729,
#:   attribution 0.954 / 0.838). With ten re-mentions relabelled to the conventions (listed in
#:   ``heldout12/README.md``) the same rules give claims 0.831 / 0.766, attribution 0.961 /
#:   0.849. Tuned on in round 13, rules-2.9 gives claims 0.939 / 0.836, attribution 0.964 /
#:   0.851; the same round lowered ``heldout11`` to claims 0.877 / 0.826 (three claims of
#:   ``k02`` had matched through a source count, "two people in contact with their families",
#:   wrongly taken as a claim that "Of the 14" then referred back to).
#: * ``heldout13``, the round-13 blind set: its one blind run with rules-2.9 gave claims
#:   0.694 / 0.732, attribution 0.950 / 0.905, 4 furniture (rules-2.8: the same); its floor is
#:   that first run. Tuned on in round 14, rules-2.10 gives claims 0.797 / 0.772, attribution
#:   0.952 / 0.894, no furniture (and heldout12 0.956 / 0.852, heldout11 0.886 / 0.835).
#: * ``heldout14``, the round-14 blind set: its one blind run with rules-2.10 gave claims
#:   0.744 / 0.768, attribution 0.972 / 0.885, 2 furniture (rules-2.9: the same); its floor
#:   is that first run (not tuned on).
SEEN_FLOORS = {
    "heldout14": ((0.74, 0.76), (0.97, 0.88), 2),
    "heldout13": ((0.79, 0.77), (0.95, 0.89), 0),
    "heldout12": ((0.95, 0.85), (0.96, 0.85), 0),
    "heldout11": ((0.88, 0.83), (0.94, 0.84), 1),
    "heldout10": ((0.95, 0.90), (0.99, 0.87), 0),
    "heldout7": ((0.83, 0.80), (0.99, 0.89), 1),
    "heldout8": ((0.93, 0.92), (0.98, 0.90), 0),
    "heldout9": ((0.93, 0.85), (0.94, 0.89), 0),
    "dev5": ((0.99, 0.94), (0.99, 0.99), 0),
    "dev6": ((0.91, 0.79), (0.99, 0.94), 0),
    "heldout4": ((0.97, 0.97), (0.97, 0.97), 0),
    "heldout5": ((0.88, 0.80), (0.99, 0.83), 0),
    "heldout6": ((0.95, 0.95), (0.98, 0.92), 0),
    "dev4": ((0.82, 0.85), (0.99, 0.96), 0),
}


@pytest.mark.parametrize("split", sorted(SEEN_FLOORS))
def test_seen_set_floor_guard(split: str) -> None:
    """REGRESSION GUARD: a seen set must not fall back below its recorded figures."""
    claims_floor, attribution_floor, most_furniture = SEEN_FLOORS[split]
    report = run_benchmark(ARTICLES, split=split, named_periods=NAMED)
    assert int(str(report["furniture_claims"])) <= most_furniture
    for key, (p_min, r_min) in (("claims", claims_floor), ("attribution", attribution_floor)):
        scores = report[key]
        assert isinstance(scores, dict)
        assert scores["precision"] >= p_min and scores["recall"] >= r_min, (key, scores)


def test_heldout_figures_are_computed() -> None:
    report = run_benchmark(ARTICLES, named_periods=NAMED)
    splits = report["splits"]
    assert isinstance(splits, dict)
    assert set(splits) >= SPLITS
    for name in sorted(n for n in SPLITS if n.startswith("heldout")):
        held = splits[name]
        assert held["articles"] >= 8
        for key in ("precision", "recall", "f1"):
            assert 0.0 <= held["claims"][key] <= 1.0
            assert 0.0 <= held["attribution"][key] <= 1.0
    details = report["details"]
    assert isinstance(details, list) and len(details) == report["articles"]


def test_a_blind_folder_is_measured_when_present(tmp_path: Path) -> None:
    # no split name is built into the benchmark: a round's blind/ folder is one more split
    source = ARTICLES / "dev3"
    for split in ("dev3", "blind"):
        (tmp_path / split).mkdir()
        for name in ("e01_wire_compound_quarters.txt", "e01_wire_compound_quarters.gold.yaml"):
            (tmp_path / split / name).write_bytes((source / name).read_bytes())
    splits = run_benchmark(tmp_path, named_periods=NAMED)["splits"]
    assert isinstance(splits, dict) and set(splits) == {"blind", "dev3"}
    assert run_benchmark(tmp_path, split="blind", named_periods=NAMED)["articles"] == 1
    without = run_benchmark(tmp_path, named_periods=NAMED, exclude=["blind", "absent"])["splits"]
    assert isinstance(without, dict) and set(without) == {"dev3"}
    with pytest.raises(FileNotFoundError, match="no articles in split"):
        run_benchmark(tmp_path, split="absent")


def test_default_path_is_found() -> None:
    report = run_benchmark(None, split="dev")
    assert int(str(report["articles"])) >= 20


def test_missing_set_raises(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        run_benchmark(tmp_path)


# --------------------------------------------------------------------------- named periods


def test_named_periods_come_from_the_caller() -> None:
    text = "Since the pandemic began, at least 1,500 North Koreans have been detained in China."
    pub = dt.date(2023, 1, 30)
    assert one(text, published=pub).period is None  # the extractor knows no event itself
    assert one(text, published=pub, named_periods=NAMED).period == Period(
        dt.date(2020, 1, 1), pub, "cumulative-to"
    )
    flood = NamedPeriod("flood", dt.date(2016, 8, 30), (r"the\s+(?:great\s+)?flood",))
    c = one("Since the great flood, 300 people have been detained.", named_periods=[flood])
    assert c.period == Period(dt.date(2016, 8, 30), PUB, "cumulative-to")
    c = one(
        "Since the flood, 300 people had been detained by the end of 2017.", named_periods=[flood]
    )
    assert c.period == Period(dt.date(2016, 8, 30), dt.date(2017, 12, 31), "cumulative-to")
    with pytest.raises(ValueError, match="bad phrase"):
        NamedPeriod("bad", dt.date(2000, 1, 1), ("the(",))
    with pytest.raises(ValueError, match="no phrases"):
        NamedPeriod("none", dt.date(2000, 1, 1), ())


def test_the_generic_extractor_holds_no_dates_of_its_own() -> None:
    source = Path(periods_mod.__file__).read_text(encoding="utf-8")
    assert "dt.date(19" not in source and "dt.date(20" not in source
    by_name = {n.name: n for n in NAMED}
    assert by_name["border-closure"].start == dt.date(2020, 1, 1)
    assert by_name["korean-war-end"].start == dt.date(1953, 7, 27)
    assert one(
        "Since the Korean War, 2 fishermen have been deported to the North.",
        named_periods=NAMED,
    ).period == Period(dt.date(1953, 7, 27), PUB, "cumulative-to")


# --------------------------------------------------------------------------- linear time


def _dev_text() -> str:
    docs = [d for d in load_gold(ARTICLES) if d.split == "dev"]
    return "\n\n".join(
        text_mod.plain_to_text(d.path.read_text(encoding="utf-8"), markdown=False).text
        for d in docs[:6]
    )


def _sized(unit: str, n: int) -> str:
    return (unit * (n // len(unit) + 1))[:n]


def _lines_run(text: str) -> int:
    """Python lines executed inside the extractor for one text (machine-independent work)."""
    root = str(Path(extract_pkg.__file__).parent)
    count = 0

    def local(frame: FrameType, event: str, arg: object) -> object:
        nonlocal count
        if event == "line":
            count += 1
        return local

    def outer(frame: FrameType, event: str, arg: object) -> object:
        return local if frame.f_code.co_filename.startswith(root) else None

    sys.settrace(outer)  # type: ignore[arg-type]
    try:
        extract_claims(text, published=dt.date(2024, 1, 1), named_periods=NAMED)
    finally:
        sys.settrace(None)
    return count


@pytest.mark.parametrize("shape", ["articles", "one paragraph", "one sentence"])
def test_extraction_work_is_linear_in_the_text(shape: str) -> None:
    base = _dev_text()
    unit = {
        "articles": base + "\n\n",
        # every sentence a claim, no paragraph break: antecedents and attributions pile up
        "one paragraph": "In 2019, 1,047 North Koreans arrived in the South, the ministry said. "
        "Of them, 845 were women. ",
        # no sentence punctuation and no line break: one "sentence" as long as the text
        "one sentence": base.replace(".", ",").replace("\n", " ") + " ",
    }[shape]
    small, large = _lines_run(_sized(unit, 6000)), _lines_run(_sized(unit, 24000))
    # four times the text, four times the work (the old extractor: 4.4, 6.3 and 62 times)
    assert large / small < 4.4, (small, large)


def test_long_runs_are_cut_into_bounded_sentences() -> None:
    text = _sized("1,047 North Koreans arrived in 2019 and 845 were women, ", 30_000)
    table = _sized("2019 | 1,047 | 845\n", 30_000)
    for t in (text, table, "x" * 5000):
        sentences = segment(t)
        assert all(0 < s.end - s.start <= MAX_SENTENCE for s in sentences)
        assert all(a.end <= b.start for a, b in itertools.pairwise(sentences))
        covered = "".join(t[s.start : s.end] for s in sentences)
        assert re.sub(r"\s", "", covered) == re.sub(r"\s", "", t)  # nothing lost
    claims = extract_claims(text, published=PUB)
    assert len(claims) > 500 and all(text[c.start : c.end] == c.quote for c in claims)


def test_repeated_text_gives_repeated_claims() -> None:
    for doc in [d for d in load_gold(ARTICLES) if d.split == "dev"]:
        text = text_mod.plain_to_text(doc.path.read_text(encoding="utf-8"), markdown=False).text
        if doc.path.suffix in (".html", ".htm"):
            text = html_to_text(doc.path.read_text(encoding="utf-8")).text
        once = extract_claims(text, published=doc.published, named_periods=NAMED)
        thrice = extract_claims(
            "\n\n".join([text] * 3), published=doc.published, named_periods=NAMED
        )
        assert len(thrice) == 3 * len(once), doc.path.name
        step = len(text) + 2
        for k in range(3):
            for a, b in zip(once, thrice[k * len(once) : (k + 1) * len(once)], strict=True):
                assert (b.value, b.subject, b.period, b.quote) == (
                    a.value,
                    a.subject,
                    a.period,
                    a.quote,
                )
                assert b.start == a.start + k * step


def test_a_run_of_capitalised_words_does_not_backtrack() -> None:
    # an all-caps line used to make the possessive-attribution pattern backtrack
    # exponentially (2 ways to match each word): 60 words never finished
    assert "|" not in attribution._NAME_WORD
    headline = "SEOUL NORTH KOREA UNIFICATION MINISTRY " * 12 + "SAYS 1,047 ARRIVED IN 2019."
    assert attribution.find_attributions(headline, 0, len(headline)) == []
    extract_claims(headline * 3, published=PUB)


# --------------------------------------------------------------------------- round 4: real text
# Each passage is new text that reproduces a structure seen on real pages (issue 14); the
# numbers are test values.

PUB4 = dt.date(2024, 9, 10)


def _claims(text: str, published: dt.date | None = PUB4) -> list[ExtractedClaim]:
    return extract_claims(text, published=published, named_periods=NAMED)


def _period_of(text: str, value: float, published: dt.date | None = PUB4) -> Period | None:
    (claim,) = [c for c in _claims(text, published) if c.value == value]
    return claim.period


@pytest.mark.parametrize(
    ("text", "value", "period"),
    [
        (
            "So far this year through August, 132 defectors reached the South.",
            132,
            Period(dt.date(2024, 1, 1), dt.date(2024, 8, 31), "range"),
        ),
        (
            "Police detained 41 North Koreans in July–September, activists said.",
            41,
            Period(dt.date(2024, 7, 1), dt.date(2024, 9, 30), "range"),
        ),
        (
            "A total of 58 defectors arrived in the April-June period.",
            58,
            Period(dt.date(2024, 4, 1), dt.date(2024, 6, 30), "range"),
        ),
        (
            "As of September last year, 33,981 defectors had resettled in the South.",
            33981,
            Period(None, dt.date(2023, 9, 30), "cumulative-to"),
        ),
        (
            "The cumulative number of arrivals stood at 34,078 as of the end of June.",
            34078,
            Period(None, dt.date(2024, 6, 30), "cumulative-to"),
        ),
        (
            "More than 30,000 North Koreans have fled to the South since the end of the 1950–53"
            " war.",
            30000,
            Period(dt.date(1953, 7, 27), PUB4, "cumulative-to"),
        ),
        (
            "Today, about 2,000 North Koreans are held in Chinese detention centres.",
            2000,
            Period(None, PUB4, "cumulative-to"),
        ),
        (
            "Chinese police sent back 60 North Koreans today.",
            60,
            Period(PUB4, PUB4, "day"),
        ),
        (
            "Police in Jilin arrested 12 North Koreans on Tuesday, activists said.",
            12,
            Period(dt.date(2024, 9, 10), dt.date(2024, 9, 10), "day"),
        ),
        (
            "Last year, 196 defectors arrived in the South.",
            196,
            Period(dt.date(2023, 1, 1), dt.date(2023, 12, 31), "year"),
        ),
        (
            "By quarter, 44 arrived in the first quarter, 49 in the second and 58 in the third.",
            49,
            Period(dt.date(2024, 4, 1), dt.date(2024, 6, 30), "quarter"),
        ),
    ],
)
def test_periods_resolve_against_the_publication_date(
    text: str, value: float, period: Period
) -> None:
    assert _period_of(text, value) == period


def test_a_reporting_day_is_not_the_period() -> None:
    text = "Of them, 31 were women, the ministry said on Tuesday."
    claims = _claims("In 2023, 196 defectors arrived in the South. " + text)
    assert claims[-1].value == 31 and claims[-1].period == year(2023)


def test_a_dateline_is_the_publication_date_and_its_day_no_count() -> None:
    text = "SEOUL, January 17, 2025 — A total of 236 defectors arrived in the South last year."
    (claim,) = _claims(text, published=None)
    assert claim.value == 236 and claim.period == year(2024)
    (claim,) = _claims(
        "SEOUL, Jan. 17 (Newswire) -- 236 defectors arrived last year.", dt.date(2025, 1, 17)
    )
    assert claim.value == 236
    assert plain_to_text(
        "Headline\n\nCHIANG RAI, 9 June 2019 – Police said.", markdown=False
    ).date == (dt.date(2019, 6, 9))


def test_cumulative_stocks_are_typed_as_stocks() -> None:
    (stock,) = _claims("A cumulative 34,078 defectors had entered the South as of the end of June.")
    assert stock.extra["measure"] == "stock" and stock.period is not None
    assert stock.period.granularity == "cumulative-to"
    (dated,) = _claims(
        "The cumulative number of defectors in 2024 reached 34,078 as of the end of June."
    )
    assert dated.period == Period(None, dt.date(2024, 6, 30), "cumulative-to")
    (now,) = _claims("Currently, about 32,000 North Korean defectors are living in South Korea.")
    assert now.extra["measure"] == "stock" and now.period == Period(None, PUB4, "cumulative-to")
    (flow,) = _claims("In the first half of the year, 105 defectors arrived.")
    assert flow.extra["measure"] == "flow"
    (milestone,) = _claims(
        "The number of defectors settling in the South topped 30-thousand in November 2016."
    )
    assert milestone.value == 30000 and milestone.qualifier == "over"
    assert milestone.period == Period(None, dt.date(2016, 11, 30), "cumulative-to")


@pytest.mark.parametrize(
    "text",
    [
        "Sources told the group that people were detained in March.[3] Most were women.",
        "Slide 3 of 12\nArrivals in South Korea",
        "Contents\nI. Introduction ................ 3\nII. Arrivals in the South ........... 12",
        "Distr.: General\n21 September 2015\nThirty-first session\nAgenda item 4\nGE.15-16102(E)",
        "Latest headlines\n1\n(LEAD) Daily infections below 4,000 for third day\n2\n"
        "(2nd LD) 17 arrested after brawl at port",
        "SEOUL, Oct. 15 (Newswire) -- Defectors arrived.",
        "Written: 2016-11-14 13:52:27Updated: 2016-11-14 14:07:03",
        "Loading slides... 3,812 views",
        "12. The panel heard that prisoners are held in camps.",
    ],
)
def test_page_furniture_is_never_a_claim(text: str) -> None:
    claims = _claims(text)
    assert claims == [], [(c.value, c.subject, c.extra.get("number_text")) for c in claims]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("About 65-thousand North Koreans are estimated to be living in China.", 65000),
        ("The cumulative number of defectors reached 30-thousand-five on Friday.", 30005),
        ("Last year's total stood at one-hundred-99 arrivals.", 199),
        ("Almost 31,000 North Koreans had resettled in the South by the end of 2017.", 31000),
        ("Last year's total of arrivals stood at one-thousand-275.", 1275),
        ("North Korea has a population of over 25 million people.", 25_000_000),
        ("A few sites list peak arrivals as in 2,941 in 2009.", 2941),
    ],
)
def test_number_forms(text: str, value: float) -> None:
    assert [c.value for c in _claims(text)] == [value]


def test_garbled_tables_give_no_numbers() -> None:
    text = "runs such as 20091,043 and 2023 (as of June)99"
    assert [n.value for n in find_numbers(text)] == [2023]  # a year, never a claim
    assert _claims("Arrivals: " + text) == []


@pytest.mark.parametrize(
    ("text", "subject"),
    [
        ("At least 130 women remain incarcerated in the North, relatives say.", "imprisoned"),
        ("Up to 200 returnees are held in penal labour colonies in North Hamgyong.", "imprisoned"),
        ("Of the 229 who arrived in 2020, 31 came directly from the North.", "arrived"),
        ("Thai police arrested eight North Koreans on Saturday in Chiang Rai.", "detained"),
        ("Laos arrested a group of 9 North Koreans in Luang Namtha last month.", "detained"),
        ("Vietnamese police took 11 North Koreans into custody near Lang Son.", "detained"),
        ("North Korea is home to almost 26 million people.", "population"),
        ("More than 33,000 North Koreans have defected to the South since 1998.", "arrived"),
    ],
)
def test_round4_subjects(text: str, subject: str) -> None:
    assert [c.subject for c in _claims(text)][-1] == subject


def test_emigration_and_reentry_are_not_escapes() -> None:
    text = (
        "The ministry says 771 resettled defectors have emigrated to other countries since 2012. "
        "About 220 North Koreans have been granted asylum in the United States. "
        "Records show 9 individuals have re-entered the North in the past five years."
    )
    assert _claims(text) == []


def test_durations_are_claims() -> None:
    text = (
        "One survivor spent 23 years in a camp before his release. "
        "She was sentenced to 15 years of reform through labour. "
        "A teenager received a six-month sentence. "
        "He has worked in Seoul for 6 years and left China 10 years ago."
    )
    got = [(c.value, c.unit, c.subject, c.period, c.extra["measure"]) for c in _claims(text)]
    assert got == [
        (23, "years", "imprisoned", None, "duration"),
        (15, "years", "sentenced", None, "duration"),
        (6, "months", "sentenced", None, "duration"),
    ]


def test_attribution_keeps_the_whole_name_and_canonical_bodies() -> None:
    (claim,) = _claims(
        "According to Human Rights Watch, China returned 60 people on 26 April 2024."
    )
    assert claim.attribution is not None and claim.attribution.who == "Human Rights Watch"
    (claim,) = _claims("The unification ministry said 196 defectors arrived in 2023.")
    assert claim.attribution is not None and claim.attribution.who == "Ministry of Unification"
    (claim,) = _claims("The number caught rose to 130 in 2018, immigration figures show.")
    assert claim.attribution is not None and claim.attribution.who == "immigration figures"


# --------------------------------------------------------------------------- round 5
# New passages for the structures of real pages studied in round 5 (the failure classes of the
# round-4 blind set, now heldout4); every number is a test value.

PUB5 = dt.date(2024, 10, 15)


def _claims5(text: str, published: dt.date | None = PUB5) -> list[ExtractedClaim]:
    return extract_claims(text, published=published, named_periods=NAMED)


def _got(text: str, published: dt.date | None = PUB5) -> list[tuple[float, str, Period | None]]:
    return [(c.value, c.subject, c.period) for c in _claims5(text, published)]


def _who(claim: ExtractedClaim) -> str | None:
    return claim.attribution.who if claim.attribution else None


Q3_2024 = Period(dt.date(2024, 7, 1), dt.date(2024, 9, 30), "quarter")


@pytest.mark.parametrize(
    ("text", "value", "period"),
    [
        ("Of the third-quarter arrivals, 9 were men.", 9, Q3_2024),
        (
            "The first-half total was 105 defectors arriving in the South.",
            105,
            Period(dt.date(2024, 1, 1), dt.date(2024, 6, 30), "half-year"),
        ),
        (
            "China has forcibly returned at least 60 North Koreans since mid-April.",
            60,
            Period(dt.date(2024, 4, 15), PUB5, "cumulative-to"),
        ),
        (
            "Police have arrested 14 people since early August.",
            14,
            Period(dt.date(2024, 8, 1), PUB5, "cumulative-to"),
        ),
        (
            "At least 92 were detained in raids since late 2023.",
            92,
            Period(dt.date(2023, 9, 1), PUB5, "cumulative-to"),
        ),
        (
            "In the first nine months, 1,041 North Koreans arrived in South Korea.",
            1041,
            Period(dt.date(2024, 1, 1), dt.date(2024, 9, 30), "range"),
        ),
        (
            "In February of last year, 31 North Koreans were arrested in China.",
            31,
            Period(dt.date(2023, 2, 1), dt.date(2023, 2, 28), "month"),
        ),
    ],
)
def test_round5_periods(text: str, value: float, period: Period) -> None:
    (claim,) = [c for c in _claims5(text) if c.value == value]
    assert claim.period == period


def test_the_same_period_is_the_main_figures_not_the_comparisons() -> None:
    text = (
        "The ministry recorded 1,277 arrivals in 2015, down from 1,396 in 2014.16 In the same "
        "period, at least 340 North Koreans were sent back from China."
    )
    got = _got(text)
    assert got[-1] == (340.0, "repatriated", year(2015))
    assert (1396.0, "arrived", year(2014)) in got  # the footnote mark "16" ends the sentence


def test_a_count_reached_by_a_change_keeps_the_sentences_period() -> None:
    text = "Defectors who arrived last year rose 12.7 percent from a year earlier to 224."
    got = {(v, s): p for v, s, p in _got(text, dt.date(2025, 1, 14))}
    assert got[(224, "arrived")] == year(2024)
    assert got[(0.127, "arrived")] == year(2024)
    text = "Arrests for illegal entry this year surged to more than 300 from 90 last year."
    assert _got(text, dt.date(2018, 6, 4)) == [
        (300, "detained", year(2018)),
        (90, "detained", year(2017)),
    ]


def test_a_time_of_reporting_is_not_the_period() -> None:
    text = "The ministry said earlier this month that 105 North Koreans arrived in the first half."
    (claim,) = _claims5(text, dt.date(2024, 8, 20))
    assert claim.period == Period(dt.date(2024, 1, 1), dt.date(2024, 6, 30), "half-year")


@pytest.mark.parametrize(
    ("text", "subject"),
    [
        ("- 29 August 2023: 80 people returned through Dandong", "repatriated"),
        (
            "North Korea holds an estimated 120,000 people in its political prison camps.",
            "imprisoned",
        ),
        (
            "Satellite images show the state is holding 80,000 people in its network of camps.",
            "imprisoned",
        ),
        ("Over the last ten years, 26 defectors took their own lives.", "died"),
        ("Of the 27 executed, four were hanged in public.", "executed"),
        ("More than 800 defectors cannot be located by the authorities.", "missing"),
        (
            "Since 2015, 19 defectors have been handed prison terms of more than a year.",
            "sentenced",
        ),
        (
            "In January, 110 repatriated North Korean workers were sent to political prison camps.",
            "imprisoned",
        ),
        ("In all, 26 defectors living in the South took their own lives.", "died"),
        (
            "They include 200 women who were detained in Kunming before being repatriated.",
            "repatriated",
        ),
        (
            "The ministry pointed to eight diplomats and their families among the arrivals.",
            "arrived",
        ),
        ("The team of 16 competed in seven sports.", "athletes"),
        ("Malnutrition and disease kill as many as 4,000 prisoners a year.", "died"),
    ],
)
def test_round5_subjects(text: str, subject: str) -> None:
    claims = _claims5(text)
    assert claims and claims[-1].subject == subject, [(c.value, c.subject) for c in claims]


def test_a_return_from_abroad_is_no_repatriation() -> None:
    assert _claims5("The 16 athletes returned from Paris on Monday.")[0].subject == "athletes"
    assert _claims5("About 40 workers returned to their jobs in Dandong.") == []


def test_a_share_of_the_country_lost_to_famine_is_deaths() -> None:
    text = "The country lost an estimated 3 per cent of its people to famine in the late 1990s."
    (claim,) = _claims5(text)
    assert claim.value == pytest.approx(0.03)
    assert (claim.kind, claim.subject) == ("share", "died")
    assert claim.period == Period(dt.date(1996, 1, 1), dt.date(1999, 12, 31), "range")


def test_numbers_of_things_neither_count_nor_block() -> None:
    text = (
        "A boat carrying nine North Koreans crossed the sea border with two engines running "
        "on the night of 19 August."
    )
    assert _got(text, dt.date(2024, 8, 20)) == [
        (9, "escaped", Period(dt.date(2024, 8, 19), dt.date(2024, 8, 19), "day"))
    ]
    assert _claims5("A lawmaker put the number of sea crossings this year at three.") == []
    text = "The nine on board were spotted by a patrol at 4 a.m. on Monday."
    assert [c.value for c in _claims5("Nine North Koreans crossed the border. " + text)] == [9, 9]


def test_a_breakdown_in_dashes_does_not_hide_the_totals_period() -> None:
    text = (
        "A total of 55 North Koreans -- 27 women and 28 men -- defected to the South in the "
        "first nine months of 2021."
    )
    nine_months = Period(dt.date(2021, 1, 1), dt.date(2021, 9, 30), "range")
    got = _got(text, dt.date(2021, 10, 22))
    assert [(v, p) for v, _s, p in got] == [(55, nine_months), (27, nine_months), (28, nine_months)]


def test_round5_no_claims() -> None:
    # members of a movement are no population; a sample; a question
    assert _claims5("The group is a movement of more than 9 million people who campaign.") == []
    assert _claims5("It mapped the accounts of 683 escapees it interviewed over six years.") == []
    assert _claims5("Q: Is it true that more than 40 escapees are held in Shenyang?") == []


def test_a_title_repeating_the_body_is_no_claim_of_its_own() -> None:
    text = (
        "Timeline: nine young North Koreans sent back from Laos\n\n"
        "Laos deported 9 North Koreans to China on 27 May."
    )
    (claim,) = _claims5(text, dt.date(2013, 6, 5))
    assert claim.period == Period(dt.date(2013, 5, 27), dt.date(2013, 5, 27), "day")
    text = "Nine North Koreans sent back from Laos\n\nThe foreign ministry protested."
    assert [c.value for c in _claims5(text)] == [9]  # a title the body does not repeat


@pytest.mark.parametrize(
    ("text", "who"),
    [
        ("A former inmate told the panel that he spent 19 years in a camp.", "former inmate"),
        (
            "The country had over 25 million people, according to several studies.17",
            "several studies",
        ),
        (
            "Over 30,000 have settled in the South, according to Seoul's unification ministry.",
            "Ministry of Unification",
        ),
        ("At least 300 fled through Laos in 2012, aid workers estimate.", "aid workers"),
        (
            "Human Rights Watch has separately verified that China sent back 600 people.",
            "Human Rights Watch",
        ),
        (
            "The ministry put the cumulative number of defectors at 34,221.",
            "The ministry",
        ),
        (
            "According to data the unification ministry submitted to Rep. Choi Min-seo, 26 "
            "defectors died.",
            "Ministry of Unification",
        ),
        ("More than 800 defectors cannot be located, News 1 reported Tuesday.", "News 1"),
        (
            "Park Sun-hee, a former inmate of Camp 18, told the group she spent 11 years there.",
            "Park Sun-hee",
        ),
        (
            "A separate think tank, KINU, put the number executed at 1,382.",
            "Korea Institute for National Unification",
        ),
        ("Our partners in China say 70% of those sent back were women.", "partners in China"),
        (
            "Disease kills up to 4,000 prisoners a year, according to a 2013 Global Rights Forum "
            "report.",
            "Global Rights Forum",
        ),
        (
            "He can be sentenced to 10 years, according to defectors interviewed by the "
            "Seoul-based Database Center for North Korean Human Rights.",
            "defectors",
        ),
        ("Eight were arrested on Saturday, a district police chief said.", "district police chief"),
    ],
)
def test_round5_attribution(text: str, who: str) -> None:
    claims = _claims5(text)
    assert claims and _who(claims[-1]) == who, [(c.value, _who(c)) for c in claims]


def test_round5_attribution_in_context() -> None:
    # a generic "ministry data" is the ministry named before; "the unification ministry" is a name
    text = (
        "Defectors rise in third quarter, ministry data show\n\n"
        "A total of 58 defectors reached the South in the July-September period, the "
        "unification ministry said Tuesday. Of them, 49 were women, ministry data show."
    )
    assert [_who(c) for c in _claims5(text)] == ["Ministry of Unification"] * 2
    # the spokesman of the paragraph before, "he added"
    text = (
        "The spokesman also mentioned that by the end of December, the number of defectors who "
        "had settled in the South had reached 34,314.\n\nHe added that the total had first "
        "passed 30-thousand in November 2016."
    )
    assert [_who(c) for c in _claims5(text, dt.date(2025, 2, 4))] == ["The spokesman"] * 2
    # a transcript's "A." is no name, "our records" the publisher's own voice
    text = "A. Our records show 135 arrivals between January and June."
    assert [_who(c) for c in _claims5(text)] == [None]
    # "attributed the fall to" names no source for the next sentence's figure
    text = "Officials attributed the fall to tighter borders. Last year's total was 1,127 arrivals."
    assert [_who(c) for c in _claims5(text)] == [None]


# --------------------------------------------------------------------------- round 6

PUB6 = dt.date(2024, 4, 30)


def _claims6(text: str, published: dt.date | None = PUB6) -> list[ExtractedClaim]:
    return extract_claims(text, published=published, named_periods=NAMED)


def _year6(y: int) -> Period:
    return Period(dt.date(y, 1, 1), dt.date(y, 12, 31), "year")


def test_round6_html_table_rows_are_claims() -> None:
    page = (
        "<html><body><article><p>Forced returns have risen sharply since the border "
        "reopened, the figures below show.</p><table><caption>Confirmed returns</caption>"
        "<tr><th>Year</th><th>Repatriated</th></tr><tr><td>2022</td><td>22</td></tr>"
        "<tr><td>2023</td><td>734</td></tr></table><p>The staff of 12 checked every case "
        "with two sources before it was counted.</p></article></body></html>"
    )
    doc = html_to_text(page)
    assert "| 2023 | 734 |" in doc.text and "---" not in doc.text
    got = [(c.value, c.subject, c.period, _who(c)) for c in _claims6(doc.text)]
    assert (22, "repatriated", _year6(2022), None) in got
    assert (734, "repatriated", _year6(2023), None) in got


@pytest.mark.parametrize(
    "text",
    [
        # a running header with its page number, a numbered report paragraph
        "Stuck in Transit | Northern Routes Project 2025                    4\n\n"
        "1.1 The project confirmed the arrest of 318 North Koreans in 2024.",
        # a table flattened into runs of a year and its count
        "Year Executions\n2008160\n2009161\n201052\n\n"
        "The institute confirmed the arrest of 318 North Koreans in 2024.",
    ],
)
def test_round6_report_furniture(text: str) -> None:
    got = [c.value for c in _claims6(text)]
    assert got == [318], got


def test_round6_translated_wire() -> None:
    text = (
        "The Ministry of Unification on the 4th announced that North Korea escapees who were "
        "entered to domestic during last year was 236 persons, it is the increase of about 20% "
        "compared with before year (196 persons). Among them the woman was 210 persons.\n\n"
        "The accumulated escapee entering number as of end of last year became 34,314 persons."
    )
    got = {c.value: c for c in _claims6(text, dt.date(2025, 2, 5))}
    assert got[236].subject == "arrived" and got[236].period == _year6(2024)
    assert _who(got[236]) == "Ministry of Unification"
    assert got[0.2].kind == "rate" and got[0.2].qualifier == "about"
    assert got[196].period == _year6(2023)
    assert got[210].sex == "female" and got[210].period == _year6(2024)
    stock = got[34314].period
    assert stock is not None and stock.granularity == "cumulative-to"
    assert stock.end == dt.date(2024, 12, 31)


@pytest.mark.parametrize(
    ("text", "value", "subject", "unit"),
    [
        (
            "Camp 16 may now hold about 20,000 prisoners, a study found.",
            20000,
            "imprisoned",
            "people",
        ),
        (
            "Seven North Koreans are being held at a police station in Luang Namtha.",
            7,
            "detained",
            "people",
        ),
        ("About 30 others remain in detention in southern China.", 30, "detained", "people"),
        (
            "The group says it has rescued 48 women from traffickers in China.",
            48,
            "trafficked",
            "people",
        ),
        (
            "Illegal border crossing carries up to five years of labour correction.",
            5,
            "sentenced",
            "years",
        ),
        (
            "Some returnees had been sentenced to terms of five to ten years in prison camps.",
            10,
            "sentenced",
            "years",
        ),
        (
            "She said she had served two years and six months in Chungsan kyohwaso.",
            30,
            "imprisoned",
            "months",
        ),
    ],
)
def test_round6_subjects(text: str, value: float, subject: str, unit: str) -> None:
    got = [(c.value, c.subject, c.unit) for c in _claims6(text)]
    assert (value, subject, unit) in got, got


def test_round6_periods() -> None:
    text = (
        "Since the border reopened last August, more than 600 people have been returned, the "
        "expert said."
    )
    (claim,) = _claims6(text)
    assert claim.period == Period(dt.date(2023, 8, 1), PUB6, "cumulative-to")
    text = (
        "Since Kim Jong Un took power on 17 December 2011, at least 64 people have been executed."
    )
    (claim,) = _claims6(text, dt.date(2016, 7, 20))
    assert claim.period == Period(dt.date(2011, 12, 17), dt.date(2016, 7, 20), "cumulative-to")


def test_round6_attribution() -> None:
    text = (
        "Those caught in China -- 2,000 to 3,000 a year, by the reckoning of aid workers I have "
        "known for two decades -- are sent back."
    )
    assert [_who(c) for c in _claims6(text)] == ["aid workers", "aid workers"]
    # a table's caption with a verb names no source for its rows
    text = (
        "| Table 2. Public executions reported by witnesses |\n| Year | Executed |\n| 2016 | 47 |"
    )
    assert [(c.value, _who(c)) for c in _claims6(text)] == [(47, None)]


# Round 7 (rules-2.3): general causes found in the round-6 blind set (heldout6).


def test_round7_table_subject_from_caption_and_header() -> None:
    # "Entries" in a caption, "People returned" in a header cell name the rows' subject
    text = (
        "| Entries of North Korean defectors by year (persons) |\n"
        "| Year | Male | Female | Total |\n| 2023 | 11 | 185 | 196 |"
    )
    assert {c.subject for c in _claims6(text)} == {"arrived"}
    text = (
        "| Date | Crossing points | People returned | Notes |\n"
        "| 29 August 2023 | Dandong | 80 | First transfer after reopening |"
    )
    (claim,) = _claims6(text)
    assert (claim.value, claim.subject) == (80, "repatriated")
    assert claim.period == Period(dt.date(2023, 8, 29), dt.date(2023, 8, 29), "day")


def test_round7_event_day_carried_and_terms_sentenced() -> None:
    text = (
        "Authorities held an open trial in Hyesan on 17 November at which 11 residents accused "
        "of organising illegal border crossings were sentenced, a source said. Two of them were "
        "shot by firing squad the same afternoon. Four others received terms of between 10 and "
        "15 years in a kyohwaso. The remaining five were given six-month terms in a labour camp."
    )
    day = Period(dt.date(2022, 11, 17), dt.date(2022, 11, 17), "day")
    got = [(c.value, c.subject, c.unit, c.period) for c in _claims6(text, dt.date(2022, 11, 24))]
    assert (11, "sentenced", "people", day) in got
    assert (2, "executed", "people", day) in got
    assert (4, "sentenced", "people", day) in got
    assert (5, "sentenced", "people", day) in got
    assert (6, "sentenced", "months", None) in got
    text = "Seven others were handed prison terms of up to 15 years, the resident added."
    assert (15, "sentenced", "years") in [(c.value, c.subject, c.unit) for c in _claims6(text)]


def test_round7_html_dateline_before_guessed_date() -> None:
    html = (
        "<html><head><title>Press release</title></head><body><main><h1>Returns</h1>"
        "<p><strong>(Seoul, 16 May 2024) –</strong> China should stop the returns, the "
        "group said today.</p><p>Church workers said Chinese authorities forcibly returned "
        "about 60 North Koreans on 26 April. At least 92 North Koreans have been arrested "
        "in China since January, the same sources say.</p><p>More than 500 people were "
        "sent back on 9 October 2023.</p></main></body></html>"
    )
    doc = html_to_text(html)
    assert doc.date == dt.date(2024, 5, 16)
    # a day or a month without a year: the latest one on or before publication
    periods = {c.value: c.period for c in extract_claims(doc.text, published=doc.date)}
    assert periods[60] == Period(dt.date(2024, 4, 26), dt.date(2024, 4, 26), "day")
    assert periods[92] == Period(dt.date(2024, 1, 1), dt.date(2024, 5, 16), "cumulative-to")


def test_round7_repeated_headline_after_site_name() -> None:
    text = (
        "VOICE OF THE PENINSULA | Korean Service\n\n"
        "North Korea executes three in Hoeryong for helping residents flee\n\n"
        "Authorities in Hoeryong publicly executed three people on 28 March for helping others "
        "escape to China, sources said."
    )
    claims = _claims6(text, dt.date(2023, 4, 6))
    assert [(c.value, c.subject) for c in claims] == [(3, "executed")]
    assert claims[0].period == Period(dt.date(2023, 3, 28), dt.date(2023, 3, 28), "day")


@pytest.mark.parametrize(
    ("text", "value", "subject"),
    [
        (
            "Radio Free Asia reported that more than 500 people were moved through Tumen and "
            "Hunchun on Monday, with buses arriving at each customs post at the same time.",
            500,
            "repatriated",
        ),
        (
            "Activists say more than 70 percent of Monday's returnees were women, many of whom "
            "had been sold into marriage in rural China.",
            0.7,
            "repatriated",
        ),
        ("According to the ministry, 38 people entered in the first quarter.", 38, "arrived"),
        (
            "We have verified the return of more than 670 North Koreans since 2020.",
            670,
            "repatriated",
        ),
    ],
)
def test_round7_subjects(text: str, value: float, subject: str) -> None:
    got = [(c.value, c.subject) for c in _claims6(text)]
    assert (value, subject) in got, got


def test_round7_long_since_clause() -> None:
    text = (
        "At least 17 people had been executed for distributing films since the Law on the "
        "Rejection of Reactionary Thought and Culture took effect in December 2020."
    )
    (claim,) = _claims6(text, dt.date(2024, 3, 12))
    assert claim.period == Period(dt.date(2020, 12, 1), dt.date(2024, 3, 12), "cumulative-to")


def test_round7_the_same_sources() -> None:
    text = (
        "Church workers in Jilin province said about 60 North Koreans were forcibly returned "
        "on 26 April. The same sources say at least 92 North Koreans have been arrested in "
        "China since January."
    )
    assert [_who(c) for c in _claims6(text, dt.date(2024, 5, 16))] == [
        "Church workers in Jilin province",
        "Church workers in Jilin province",
    ]


def test_round7_explainer_title_counts_no_people() -> None:
    assert _claims6("Seven numbers that explain escapes from North Korea\n\nBody text.") == []


# --------------------------------------------------------------------------- round 8


@pytest.mark.parametrize(
    ("text", "who"),
    [
        (
            "Human Rights Watch said on Friday that China had returned about 200 North "
            "Koreans in January. The New York-based organisation said that at least 80 of "
            "them had been held in Jilin.",
            "Human Rights Watch",
        ),
        (
            "A new report from the Asia Policy Forum draws on satellite imagery. "
            "The report estimates that 65,000 people are held in the camps.",
            "Asia Policy Forum",
        ),
        (
            "A new report from the Asia Policy Forum draws on satellite imagery. "
            "It also puts the number of executions since 2012 at no fewer than 340.",
            "Asia Policy Forum",
        ),
        (
            "The Center for Strategic Studies in Washington tracks arrests. "
            "The Washington-based think tank said 1,500 North Koreans were arrested in 2021.",
            "Center for Strategic Studies",
        ),
    ],
)
def test_a_body_referred_to_by_description_is_named(text: str, who: str) -> None:
    claims = extract_claims(text, published=dt.date(2024, 2, 3))
    assert claims, text
    last = claims[-1]
    assert last.attribution is not None and last.attribution.who == who, last


def test_a_body_named_in_passing_does_not_capture_the_group() -> None:
    text = (
        "Police in Yanbian detained 27 North Koreans in October, Liberty in North Korea said. "
        "Detainees are handed to the Ministry of State Security. "
        "The organisation said 19 of those detained were women."
    )
    claims = extract_claims(text, published=dt.date(2021, 11, 14))
    assert [c.attribution.who if c.attribution else None for c in claims] == [
        "Liberty in North Korea",
        "Liberty in North Korea",
    ]


def test_it_with_no_body_named_before_is_no_attribution() -> None:
    (claim,) = extract_claims(
        "It said 120 North Koreans were detained in May.", published=dt.date(2024, 6, 1)
    )
    assert claim.attribution is None


def test_a_headline_in_title_case_names_no_body() -> None:
    from crossings.evidence.extract.attribution import document_bodies  # noqa: PLC0415

    for headline in ("Rights Group Wants China to Release North Koreans", "Report Says Camps Grow"):
        assert document_bodies(headline, 0, len(headline)) == []
    text = "HRW and the Justice Mapping Initiative (JMI) met the Ministry of Unification."
    assert document_bodies(text, 0, len(text)) == [
        "HRW",
        "Justice Mapping Initiative",
        "Ministry of Unification",
    ]


# --- round 9 (rules-2.5): structures of the round-9 dev set and of heldout8 -------------------

PUB9 = dt.date(2024, 6, 1)


def _r9(text: str) -> list[tuple[float, str, Period | None, str | None]]:
    return [
        (c.value, c.subject, c.period, c.attribution.who if c.attribution else None)
        for c in extract_claims(text, published=PUB9)
    ]


def _year(y: int) -> Period:
    return Period(dt.date(y, 1, 1), dt.date(y, 12, 31), "year")


def _month(y: int, m: int, last: int) -> Period:
    return Period(dt.date(y, m, 1), dt.date(y, m, last), "month")


def test_round9_subject_cues() -> None:
    got = _r9("Police said 12 North Koreans were sent back to the North in March.")
    assert got == [(12.0, "repatriated", _month(2024, 3, 31), "Police")]
    got = _r9("Activists reported the detention of 40 North Koreans in Shenyang in May.")
    assert got == [(40.0, "detained", _month(2024, 5, 31), "Activists")]
    got = _r9("Hanawon's intake was 95 in the first quarter of 2024.")
    assert [(v, s) for v, s, _, _ in got] == [(95.0, "arrived")]
    (claim,) = _r9("The population of prisoners in the prison camps is 80,000, KINU said.")
    assert claim[:2] == (80000.0, "imprisoned")


def test_round9_ids_and_occasions_are_not_counts() -> None:
    got = _r9("The case number 2024031512345 was assigned; 14 people were arrested in April.")
    assert [v for v, *_ in got] == [14.0]  # a 13-digit id is no number
    got = _r9("On three occasions in 2023, 20 people were arrested.")
    assert got == [(20.0, "detained", _year(2023), None)]  # "three occasions" is no count


def test_round9_a_subordinate_clause_does_not_give_the_subject() -> None:
    # "after they crossed": the main verb (detained) counts, not the crossing
    (claim,) = _r9("The 45 people detained after they crossed the border in 2022 were held.")
    assert claim[:2] == (45.0, "detained")


def test_round9_terms_in_a_camp_are_sentences_and_the_same_day_is_that_day() -> None:
    got = _r9(
        "The 23 women, returned in October 2023, were sentenced on 12 February 2024 "
        "to terms of five years in a labour camp."
    )
    day = Period(dt.date(2024, 2, 12), dt.date(2024, 2, 12), "day")
    assert got[0] == (23.0, "sentenced", day, None)
    assert [(v, s) for v, s, _, _ in got[1:]] == [(5.0, "sentenced")]
    got = _r9("Police arrested 9 people on 3 March 2023. On the same day, 4 more were detained.")
    day = Period(dt.date(2023, 3, 3), dt.date(2023, 3, 3), "day")
    assert [(v, p) for v, _, p, _ in got] == [(9.0, day), (4.0, day)]


def test_round9_a_base_year_is_not_the_period_of_a_change() -> None:
    got = _r9("Arrivals rose 20% compared with 2019, when 1,047 people arrived.")
    assert got[1] == (1047.0, "arrived", _year(2019), None)  # "when" takes the year
    assert got[0][2] != _year(2019)  # the 20% is no 2019 figure
    got = _r9("Since 2019, when 1,047 people arrived, numbers have fallen.")
    assert got == [(1047.0, "arrived", _year(2019), None)]


def test_round9_accumulated_is_a_stock_and_inline_furniture_is_dropped() -> None:
    ((value, _, period, _),) = _r9("The total accumulated since 1998 is 34,000 arrivals.")
    assert value == 34000.0 and period is not None and period.granularity == "cumulative-to"
    for furniture in ("Related: 12 North Koreans arrested in Laos", "Comments (3)"):
        got = _r9(f"{furniture}\nThe ministry said 105 people arrived in the first half.")
        assert [v for v, *_ in got] == [105.0], furniture


def test_round9_attribution_structures() -> None:
    cases = [
        (
            "2.1 Between January 2020 and June 2021 the Citizens' Alliance documented the "
            "detention of 46 North Koreans in China.",
            "Citizens' Alliance",
        ),
        (
            "The cumulative number of arrivals until the end of last year was counted as "
            "33,882 persons by the Ministry of Unification.",
            "Ministry of Unification",
        ),
        (
            "A former logging worker who now lives in Incheon told us that 14 men from his "
            "brigade were arrested by Russian police in 2016.",
            "former logging worker",
        ),
        (
            "In one case reported to OHCHR, 23 women who had been returned in October 2023 "
            "were sentenced.",
            "OHCHR",
        ),
        (
            "A former prisoner of Kyohwaso No. 12, interviewed by OHCHR in 2022, stated that "
            "around 40 inmates had died there in 2020.",
            "former prisoner of Kyohwaso No. 12",
        ),
        (
            "Back in 2013, the Korea Institute for National Unification reckoned that the "
            "camps held 80,000 people.",
            "Korea Institute for National Unification",
        ),
        (
            "A 41-year-old woman from Hoeryong told us 8 women from her town were returned "
            "in 2019.",
            "41-year-old woman from Hoeryong",
        ),
    ]
    for text, who in cases:
        got = _r9(text)
        assert got and got[0][3] == who, (text, got)


def test_round9_a_time_is_no_body() -> None:
    for text in (
        "At February's count, 30 people had arrived.",
        "Last year's figures show 196 people arrived in 2023.",
    ):
        ((_, _, _, who),) = _r9(text)
        assert who is None, text
    ((_, _, _, who),) = _r9("The Ministry of Unification's figures show 196 arrived in 2023.")
    assert who == "Ministry of Unification"


# --- round 10 (rules-2.6): structures of heldout9 -----------------------------------------

PUB10 = dt.date(2025, 3, 6)


def _r10(text: str) -> list[tuple[float, str, Period | None, str | None]]:
    return [
        (c.value, c.subject, c.period, c.attribution.who if c.attribution else None)
        for c in extract_claims(text, published=PUB10)
    ]


def test_round10_a_page_dates_itself_in_korean_and_blog_styles() -> None:
    from crossings.evidence.extract.furniture import document_date  # noqa: PLC0415

    assert document_date("Hanbit News | Politics | Input 2024.10.08 11:42\n\nBody.") == dt.date(
        2024, 10, 8
    )
    assert document_date("# Issue 27\n\n*31 January 2025 · Monthly notes · 5 min read*\n") == (
        dt.date(2025, 1, 31)
    )
    assert document_date("Title\n\n2024-05-03 is when it happened.") is None


def test_round10_day_ranges_and_the_start_of_the_year() -> None:
    span = Period(dt.date(2025, 2, 10), dt.date(2025, 2, 25), "range")
    for text in (
        "Police arrested 17 people between Feb. 10 and Feb. 25.",
        "Police arrested 17 people between February 10 and 25.",
        "Police arrested 17 people between 10 and 25 February.",
    ):
        assert _r10(text) == [(17.0, "detained", span, None)], text
    got = _r10("Police arrested 17 people from 28 December to 3 January.")
    assert got[0][2] == Period(dt.date(2024, 12, 28), dt.date(2025, 1, 3), "range")
    ((_, _, period, _),) = _r10(
        "At least 40 people have been detained since the start of the year."
    )
    assert period == Period(dt.date(2025, 1, 1), PUB10, "cumulative-to")


def test_round10_subjects_and_non_people() -> None:
    ((value, subject, *_),) = _r10(
        "Russia has sent at least 12 escaped workers back to North Korea."
    )
    assert (value, subject) == (12.0, "repatriated")
    got = _r10("Between 70,000 and 100,000 people are held in the country's four kwanliso today.")
    assert [v for v, *_ in got] == [70000.0, 100000.0]  # four camps are no people
    got = _r10("Testimonies describe 53 people executed in 2023, 19 of them for helping others.")
    assert [(v, s) for v, s, *_ in got] == [(53.0, "executed"), (19.0, "executed")]
    got = _r10(
        "Chinese police detained at least 30 North Koreans in Jilin last month and sent 18 of "
        "them across the border on Tuesday."
    )
    assert [s for _, s, *_ in got] == ["detained", "repatriated"]  # a verb of its own


def test_round10_a_present_state_does_not_take_an_earlier_events_day() -> None:
    got = _r10(
        "China returned 500 people on 9 October 2023. Police are holding 600 more in "
        "detention facilities."
    )
    assert got[1][:3] == (600.0, "detained", None)


def test_round10_ages_tables_and_wrapped_durations() -> None:
    assert _r10("Seven of the eight are women; the eighth is a boy of about nine.") == []
    got = _r10(
        "A woman from Musan, now 44, said she was held for seven months at the Ministry of "
        "State Security holding centre and then served six\nmonths in a labour training camp."
    )
    assert [(v, s) for v, s, *_ in got] == [(7.0, "detained"), (6.0, "imprisoned")]
    assert got[0][3] == "woman from Musan"
    got = _r10("Arrivals by year (persons)\nYear Persons 20191,047 2020229 202163 202267 2023196")
    assert got == []  # a flattened table: years glued to counts


def test_round10_attribution_structures() -> None:
    cases = [
        ("The Office continues to estimate that 65,000 persons are held.", "Office"),
        ("A Thai immigration officer I have known for years told me 143 were arrested.",
         "Thai immigration officer"),
        ("Five of nine people detained in March are women, said the activist, Jeong Tae-min "
         "of the group.", "Jeong Tae-min"),
        ("Lao police detain seven North Koreans in Vientiane, local media report.", "local media"),
        ("A man from Chongjin, 52, testified that 51 prisoners died there in 2010.",
         "man from Chongjin"),
        ("What we know is that the UN commission of inquiry estimated in 2014 that 80,000 "
         "people were held.",
         "Commission of Inquiry on Human Rights in the Democratic People's Republic of Korea"),
    ]  # fmt: skip
    for text, who in cases:
        got = _r10(text)
        assert got and got[0][3] == who, (text, got)


# --- round 11 (rules-2.7): structures of heldout10 ----------------------------------------

PUB11 = dt.date(2024, 8, 14)


def _r11(text: str, published: dt.date = PUB11) -> list[tuple[object, ...]]:
    return [
        (c.value, c.subject, c.period, c.attribution.who if c.attribution else None)
        for c in extract_claims(text, published=published)
    ]


def test_round11_broadcast_lines_and_as_of_last_month() -> None:
    from crossings.evidence.extract.furniture import document_date  # noqa: PLC0415

    text = "RADIO ASIA HOUR\nTranscript | Broadcast: Tuesday, 14 November 2023 | Segment 3\n\nBody."
    assert document_date(text) == dt.date(2023, 11, 14)
    ((_, _, period, _),) = _r11(
        "Partners have confirmed at least 340 women held in detention centres as of last month.",
        dt.date(2023, 11, 14),
    )
    assert period == Period(None, dt.date(2023, 10, 31), "cumulative-to")


def test_round11_comparison_periods_of_another_year() -> None:
    got = _r11(
        "The unification ministry's first-quarter count is out: 44 arrivals, up from 35 in the "
        "same quarter of 2023.",
        dt.date(2024, 6, 10),
    )
    assert [(v, p) for v, _, p, _ in got] == [
        (44.0, Period(dt.date(2024, 1, 1), dt.date(2024, 3, 31), "quarter")),
        (35.0, Period(dt.date(2023, 1, 1), dt.date(2023, 3, 31), "quarter")),
    ]
    assert got[0][3] == "Ministry of Unification"  # the ministry's count
    got = _r11(
        "A total of 105 defectors arrived in the first half of 2025, the ministry said. The "
        "ministry put the figure for the same six months of 2024 at 106.",
        dt.date(2025, 7, 17),
    )
    assert got[1][2] == Period(dt.date(2024, 1, 1), dt.date(2024, 6, 30), "half-year")
    ((_, _, period, _),) = _r11("So far this year, through September, 158 have arrived.")
    assert period == Period(dt.date(2024, 1, 1), dt.date(2024, 9, 30), "range")


def test_round11_ages_samples_and_a_change_to_a_new_count() -> None:
    assert _r11("Of the group, the youngest was 14.") == []
    assert _r11("The youngest member of the team is 15.") == []
    assert _r11("The Rapporteur held consultations with 56 persons who had left the country.") == []
    got = _r11("Arrivals rose 23.3 percent to 238 last year, the ministry said.")
    year = Period(dt.date(2023, 1, 1), dt.date(2023, 12, 31), "year")
    assert [(v, s, p) for v, s, p, _ in got] == [
        (0.233, "arrived", year),
        (238.0, "arrived", year),
    ]  # a change, then the new count: no range


def test_round11_subjects() -> None:
    ((value, subject, *_),) = _r11(
        "Since 2020, at least 40 people who fled from Russia have resettled in the South."
    )
    assert (value, subject) == (40.0, "arrived")  # the main verb, not the relative clause's
    ((_, subject, *_),) = _r11("At least 30 people had vanished since January.")
    assert subject == "missing"
    got = _r11(
        "China returned 318 people in 2022. Seventy-seven of those returned were held in "
        "pre-trial detention."
    )
    assert [s for _, s, *_ in got] == ["repatriated", "detained"]
    got = _r11(
        "Authorities shot two men dead at a public trial in Hyesan on 21 March. Eleven other "
        "residents received terms of between five and 12 years at the same trial."
    )
    day = Period(dt.date(2024, 3, 21), dt.date(2024, 3, 21), "day")
    assert [(v, s, p) for v, s, p, _ in got][:2] == [
        (2.0, "executed", day),
        (11.0, "sentenced", day),
    ]
    assert [v for v, *_ in _r11("Those tried received terms of one to seven years in camps.")] == [
        1.0,
        7.0,
    ]
    assert _r11("One of them received a term of one year.") == []


def test_round11_a_definite_group_and_an_aim_are_no_arrival() -> None:
    got = _r11(
        "Vietnamese border guards detained 12 North Koreans near Lang Son on Sunday. The eight "
        "women and four men had hoped to reach the South Korean embassy in Hanoi.",
        dt.date(2025, 5, 22),
    )
    assert [(v, s) for v, s, *_ in got] == [
        (12.0, "detained"),
        (8.0, "detained"),
        (4.0, "detained"),
    ]
    assert len({p for _, _, p, _ in got}) == 1  # the group's day
    assert _r11("The two most recent years are far below the levels seen before.") == []


def test_round11_attribution_structures() -> None:
    got = _r11(
        "Police detained 11 workers in Khabarovsk on Saturday, a source familiar with the matter "
        "told The Seoul Ledger."
    )
    assert got[0][3] == "source familiar with the matter"
    got = _r11(
        "The ministry said 1,200 defectors died last year. According to the same data, 9 died "
        "by suicide."
    )
    assert [w for *_, w in got] == ["The ministry", "The ministry"]  # "the same data": its source


# --- round 12 (rules-2.8): structures of heldout11 ----------------------------------------

PUB12 = dt.date(2024, 10, 8)


def _r12(text: str, published: dt.date = PUB12) -> list[tuple[object, ...]]:
    return [
        (c.value, c.subject, c.period, c.attribution.who if c.attribution else None)
        for c in extract_claims(text, published=published)
    ]


def test_round12_translated_quarters_and_the_year_before() -> None:
    q1 = Period(dt.date(2024, 1, 1), dt.date(2024, 3, 31), "quarter")
    q2 = Period(dt.date(2024, 4, 1), dt.date(2024, 6, 30), "quarter")
    got = _r12('"this year 2 quarter domestic entering escape residents total is 64 persons"')
    assert [(v, s, p) for v, s, p, _ in got] == [(64.0, "arrived", q2)]  # "2" is no claim
    got = _r12("1 quarter entering persons 45 persons were combined.")
    assert [(v, p) for v, _, p, _ in got] == [(45.0, q1)]
    ((_, _, period, _),) = _r12("Before year first half entering persons were 101 persons.")
    assert period == Period(dt.date(2023, 1, 1), dt.date(2023, 6, 30), "half-year")
    got = _r12("Women made up 41 of this year's first-quarter intake.")
    assert got[0][2] == q1


def test_round12_whereabouts_out_of_contact_and_a_stock_a_year_earlier() -> None:
    got = _r12(
        "The number of resettled defectors whose whereabouts are unknown stood at 73 as of the "
        "end of August. That is up from 65 a year earlier. Of the 73, 12 have been out of "
        "contact for more than ten years."
    )
    assert [(v, s) for v, s, *_ in got] == [
        (73.0, "missing"),
        (65.0, "missing"),
        (73.0, "missing"),
        (12.0, "missing"),
    ]
    assert got[1][2] == Period(None, dt.date(2023, 8, 31), "cumulative-to")  # a year earlier
    ((_, subject, *_),) = _r12("Whereabouts of 73 resettled defectors unknown")
    assert subject == "missing"
    got = _r12(
        "Between 2019 and 2023, 41 resettled defectors took their own lives. A further 26 died "
        "of unknown causes over the same five years."
    )
    span = Period(dt.date(2019, 1, 1), dt.date(2023, 12, 31), "range")
    assert [(v, s, p) for v, s, p, _ in got] == [(41.0, "died", span), (26.0, "died", span)]


def test_round12_subjects() -> None:
    ((_, subject, *_),) = _r12(
        "At least 540 people were transferred from Jilin detention facilities to North Korean "
        "custody on 26 April 2024."
    )
    assert subject == "repatriated"
    ((_, subject, *_),) = _r12(
        "China had sent at least 60 North Koreans arrested in Yunnan back across the border."
    )
    assert subject == "repatriated"
    ((_, subject, *_),) = _r12(
        "A lawyer who visits the centre said 31 North Koreans have been held there since January."
    )
    assert subject == "detained"  # held at the detention centre, not in a camp
    ((_, subject, *_),) = _r12(
        "18 North Korean workers who fled Russian construction and logging sites reached the "
        "South in 2023."
    )
    assert subject == "arrived"  # the main verb after the relative clause
    got = _r12(
        "Between 25,000 and 50,000 North Koreans were living in China at the end of 2022, most "
        "of them women who married or were sold to Chinese men in the 2000s."
    )
    assert {s for _, s, *_ in got} == {"escaped"}  # "or were sold" stays in the relative clause
    ((_, subject, *_),) = _r12("The ministry counted 34,183 defectors in its records as of June.")
    assert subject == "arrived"


def test_round12_non_claims_and_described_groups() -> None:
    got = _r12("Police detained 12 North Koreans on 21 February. Two are children under ten.")
    assert 10.0 not in [v for v, *_ in got]  # an age limit
    assert [
        v for v, *_ in _r12("A 2023 survey by the Korean Women's Centre of 280 women found.")
    ] == []
    got = _r12(
        "Immigration police picked up five North Koreans in Phnom Penh in October, two people "
        "familiar with the case said."
    )
    assert [v for v, *_ in got] == [5.0]  # two sources are no claim
    got = _r12(
        "Thai police detained 11 North Koreans on 30 November. The detainees are eight women and "
        "three men, the alliance said.",
        dt.date(2024, 12, 5),
    )
    day = Period(dt.date(2024, 11, 30), dt.date(2024, 11, 30), "day")
    assert [(v, p) for v, _, p, _ in got] == [(11.0, day), (8.0, day), (3.0, day)]


# --- round 13 (rules-2.9): structures of heldout12 ----------------------------------------

PUB13 = dt.date(2025, 5, 20)


def _r13(text: str, published: dt.date = PUB13) -> list[tuple[object, ...]]:
    return [
        (c.value, c.subject, c.period, c.attribution.who if c.attribution else None)
        for c in extract_claims(text, published=published)
    ]


def test_round13_dates_and_periods() -> None:
    from crossings.evidence.extract.furniture import document_date  # noqa: PLC0415

    text = "KNB RADIO > News\n\nMorning Report  Input 2025.02.11 (07:15)  Modified 2025.02.11\n"
    assert document_date(text) == dt.date(2025, 2, 11)
    ((_, _, period, _),) = _r13(
        "In 2019, the last year before the border was sealed, the group recorded nine people "
        "put to death in public."
    )
    assert period == Period(dt.date(2019, 1, 1), dt.date(2019, 12, 31), "year")
    ((_, _, period, _),) = _r13("Thai police detained nine more in the second half of November.")
    assert period == Period(dt.date(2024, 11, 16), dt.date(2024, 11, 30), "range")


def test_round13_a_restricted_noun_with_a_place() -> None:
    ((value, subject, period, _),) = _r13(
        "Nine residents of Hoeryong, North Hamgyong province, were sentenced at a public trial "
        "on May 14."
    )
    assert (value, subject) == (9.0, "sentenced")
    assert period == Period(dt.date(2025, 5, 14), dt.date(2025, 5, 14), "day")
    assert _r13("Nine residents of Hoeryong, North Hamgyong province, watched the trial.") == []


def test_round13_non_claims() -> None:
    got = _r13(
        "About 40 people were returned through Hunchun on October 21, according to two people "
        "with relatives among them."
    )
    assert [v for v, *_ in got] == [40.0]  # the sources are no claim
    got = _r13("It addresses articles 6, 9 and 15 of the Convention on trafficking.")
    assert got == []
    assert _r13("Three-quarters of those returned are women, by most accounts.") == []
    got = _r13(
        "Two brokers were executed by a firing squad; the partner put the crowd at about 2,000."
    )
    assert [v for v, *_ in got] == [2.0]


# --- round 14 (rules-2.10): structures of heldout13 ---------------------------------------

PUB14 = dt.date(2025, 11, 20)


def _r14(text: str, published: dt.date = PUB14) -> list[tuple[object, ...]]:
    return [
        (c.value, c.subject, c.qualifier, c.unit, c.period)
        for c in extract_claims(text, published=published)
    ]


def test_round14_a_range_across_units() -> None:
    got = _r14(
        "Those who had only worked there receive terms of six months to two years in a camp."
    )
    assert [(v, s, q, u) for v, s, q, u, _ in got] == [
        (6.0, "sentenced", "at least", "months"),
        (2.0, "sentenced", "up to", "years"),
    ]


def test_round14_periods() -> None:
    ((*_, period),) = _r14("Since 1 October, 14 Hyesan residents have been arrested.")
    assert period == Period(dt.date(2025, 10, 1), PUB14, "cumulative-to")
    ((*_, period),) = _r14("This year 1~3 quarter accumulate entering persons are 134 persons.")
    assert period == Period(dt.date(2025, 1, 1), dt.date(2025, 9, 30), "range")
    ((*_, period),) = _r14(
        "September end as of, domestic entered escape residents total accumulate is 34,486 "
        "persons become."
    )
    assert period == Period(None, dt.date(2025, 9, 30), "cumulative-to")


def test_round14_subjects_and_non_claims() -> None:
    ((_, subject, *_),) = _r14("At least 40 others remain in the Tumen border detention centre.")
    assert subject == "detained"
    ((_, subject, *_),) = _r14(
        "Two North Korean soldiers defected across the Military Demarcation Line on Wednesday."
    )
    assert subject == "arrived"  # straight into the South
    assert _r14("Women made up 78 percent of our respondents.") == []
    got = _r14(
        "References\n\nKim, J. (2021). Routes south. Korea Migration Review 9(1): 33-51.\n\n"
        "4 Detention in China\n\nPolice detained 40 people."
    )
    assert [v for v, *_ in got] == [40.0]  # volume, issue, pages and a section number
