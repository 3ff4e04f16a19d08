r"""Document text and metadata from HTML, plain text or markdown.

The text returned here is what the evidence store keeps and what every claim
span refers to. Conventions:

* newlines are ``\n`` only;
* paragraphs are separated by one blank line (``\n\n``);
* HTML pages keep only their main text (trafilatura, precision-favouring
  settings), after which :func:`remove_boilerplate` drops web furniture that
  slipped through (navigation, "most popular" lists, donation appeals,
  newsletter sign-ups, licence and copyright lines, share buttons, bylines);
* markdown keeps its words but loses most markup (see :func:`strip_markdown`).

Without trafilatura (or when it finds nothing) a small standard-library parser
takes paragraphs from ``<p>``, ``<h1>``–``<h6>``, ``<li>`` and ``<blockquote>``
outside ``<nav>``, ``<header>``, ``<footer>``, ``<aside>``, ``<form>``,
``<script>`` and ``<style>``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from html import unescape
from html.parser import HTMLParser
from typing import Any

from crossings.evidence.extract.furniture import document_date

__all__ = [
    "DocumentText",
    "html_to_text",
    "plain_to_text",
    "remove_boilerplate",
    "strip_markdown",
]


@dataclass(frozen=True)
class DocumentText:
    """A document's main text and metadata.

    Attributes:
        text: The main text, newline-normalised, paragraphs separated by a
            blank line.
        title: Title, if known.
        author: Author, if known.
        publisher: Publisher or site name, if known.
        date: Publication date, if known.
        language: Language code, if known.
    """

    text: str
    title: str | None = None
    author: str | None = None
    publisher: str | None = None
    date: dt.date | None = None
    language: str | None = None


# --------------------------------------------------------------------------- boilerplate

_SIDEBAR_HEADINGS = re.compile(
    r"^\s*(?:most\s+(?:popular|read|viewed|shared|commented)(?:\s+this\s+week|\s+today)?"
    r"|trending(?:\s+now)?|related(?:\s+(?:articles|reports|stories|posts|content|reading))?"
    r"|read\s+(?:more|next)|see\s+also|more\s+(?:from|stories|on\s+this)|you\s+may\s+also\s+like"
    r"|recommended(?:\s+for\s+you)?|popular\s+(?:now|stories)|latest\s+(?:news|stories)"
    r"|editor'?s\s+picks|in\s+case\s+you\s+missed\s+it)\s*:?\s*$",
    re.IGNORECASE,
)
_BOILERPLATE_LINE = re.compile(
    r"(?:\bdonat(?:e|es|ion|ions|ing)\b|\breader-funded\b|\bsupport\s+us\b"
    r"|\bsupport\s+(?:our|independent)\s+(?:journalism|work|research|reporting|newsroom)\b"
    r"|\bsupport\s+the\s+\w+\s+(?:with|from)\s+[$£€]|\bhelp\s+keep\s+(?:it|the|our)\b"
    r"|\bgive\s+(?:now|today|what\s+you\s+can)\b|\bmake\s+a\s+(?:gift|donation)\b"
    r"|\bcontribute\s+(?:from|now|today)\b|\bbecome\s+a\s+(?:member|supporter|patron)\b"
    r"|\bsign\s*up\b|\bsubscrib(?:e|ers?)\b|\bnewsletters?\b|\bunsubscribe\b|\bin\s+your\s+inbox\b"
    r"|©|\(c\)\s*\d{4}|\bcopyright\b|\ball\s+rights\s+reserved\b|\bcreative\s+commons\b"
    r"|\bCC\s+BY\b|\blicen[cs]ed\s+under\b|\bprivacy\s+policy\b|\bterms\s+of\s+(?:use|service)\b"
    r"|\bcookie\s+(?:policy|settings)\b|\bregistered\s+(?:charity|in\s+england)\b|\bEIN\b"
    r"|\b501\(c\)\(3\)|\bcharity\s+(?:no|number)\b|^\s*advertisement\s*$|^\s*sponsored\b"
    r"|\bdownload\s+(?:the\s+)?(?:full\s+)?(?:report|briefing|pdf)\b|\(pdf,\s*[\d.]+\s*[kmg]b\)"
    r"|^\s*attachments?\s*:|^\s*contact\s*:|^\s*tel\.?\s*[:+\d]|^\s*(?:home|news)\s*[›>»|/]"
    r"|\b\d+\s+min(?:ute)?s?\s+read\b|^\s*listen\s*:|\bpodcast\b)",
    re.IGNORECASE,
)
_SHARE_LINE = re.compile(
    r"^\s*(?:share(?:\s+this|\s+on\s+\w+)?|tweet|email|print|facebook|twitter|whatsapp|linkedin"
    r"|reddit|copy\s+link|list)(?:\s*[:|·,/]?\s*(?:share(?:\s+on)?|facebook|twitter|x|whatsapp"
    r"|linkedin|email|print|reddit|copy\s+link|list))*\s*:?\s*$",
    re.IGNORECASE,
)
_MONTHS_RE = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DATE_ONLY = re.compile(
    rf"^\s*(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day,?\s+)?"
    rf"(?:\d{{1,2}}\s+{_MONTHS_RE}\s+\d{{4}}|{_MONTHS_RE}\s+\d{{1,2}},?\s+\d{{4}}"
    rf"|\d{{4}}-\d{{2}}-\d{{2}}|\d+\s+(?:hours?|minutes?|days?)\s+ago)\s*$",
    re.IGNORECASE,
)
_BYLINE = re.compile(r"^\s*(?:by|written\s+by|words\s+by)\s+[A-Z][\w.'-]+", re.IGNORECASE)
_MONEY_AMOUNTS = re.compile(r"[$£€]\s?\d")


def _is_boilerplate(line: str) -> bool:
    """Whether one extracted line is web furniture rather than article text.

    Args:
        line: One paragraph line.

    Returns:
        True if the line should be dropped.
    """
    words = line.split()
    if not words:
        return True
    if _SIDEBAR_HEADINGS.match(line) or _SHARE_LINE.match(line) or _DATE_ONLY.match(line):
        return True
    if _BYLINE.match(line) and len(words) <= 12:
        return True
    if len(_MONEY_AMOUNTS.findall(line)) >= 2 and len(words) <= 40:
        return True
    if _BOILERPLATE_LINE.search(line):
        # a long sentence merely mentioning a newsletter or a donation is kept
        return len(words) <= 30 or bool(_MONEY_AMOUNTS.search(line))
    return False


_TABLE_SEPARATOR = re.compile(r"^\|?(?:\s*:?-{3,}:?\s*\|)+\s*:?-*:?\s*$")


def _table_row(line: str) -> str | None:
    """A table row of extracted text in its normal form.

    trafilatura writes a table as ``| cell | cell |`` lines with ``|---|`` separators and
    empty cells for spans; the fallback parser writes cells the same way.

    Args:
        line: One whitespace-normalised line.

    Returns:
        ``None`` when the line is no table row, ``""`` for a separator or an empty row,
        else ``"| a | b |"`` without empty cells.
    """
    if not line.startswith("|"):
        return None
    if _TABLE_SEPARATOR.match(line):
        return ""
    cells = [c.strip() for c in line.strip().strip("|").split("|")]
    cells = [c for c in cells if c]
    if not cells:
        return ""
    return "| " + " | ".join(cells) + " |"


def remove_boilerplate(text: str, *, title: str | None = None) -> str:
    """Drop web boilerplate lines from extracted main text.

    Lines are taken as paragraphs. A line equal to the title is dropped (the
    title is kept as metadata), as are navigation, bylines, date-only lines,
    share buttons, donation appeals, newsletter sign-ups, licence and
    copyright lines. A "most popular" / "related" heading also drops the short
    lines (list items) that follow it, up to the next long paragraph.

    Args:
        text: Main text, one paragraph per line (blank lines are ignored).
        title: The document title, if known.

    Returns:
        The kept paragraphs joined by blank lines.
    """
    kept: list[str] = []
    in_sidebar = False
    in_table = False
    norm_title = " ".join(title.split()).casefold() if title else None
    for raw in text.split("\n"):
        line = " ".join(raw.split())
        if not line:
            in_table = False
            continue
        row = _table_row(line)
        if row is not None:
            # a table's rows stay together as one paragraph, one row a line
            if row:
                if in_table and kept:
                    kept[-1] += "\n" + row
                else:
                    kept.append(row)
                in_table = True
            continue
        in_table = False
        if norm_title is not None and line.casefold() == norm_title:
            continue
        if _SIDEBAR_HEADINGS.match(line):
            in_sidebar = True
            continue
        if in_sidebar:
            # list items of a sidebar: short lines, usually without a final full stop
            if len(line.split()) <= 16 and not line.rstrip().endswith((".", '"', "”")):
                continue
            in_sidebar = False
        if _is_boilerplate(line):
            continue
        kept.append(line)
    return "\n\n".join(kept)


# --------------------------------------------------------------------------- HTML


class _FallbackParser(HTMLParser):
    """Collect paragraph text and meta tags with the standard library only."""

    _SKIP = frozenset(
        {
            "nav",
            "header",
            "footer",
            "aside",
            "form",
            "script",
            "style",
            "noscript",
            "button",
            "select",
            "svg",
            "iframe",
        }
    )
    _BLOCK = frozenset(
        {
            "p",
            "h1",
            "h2",
            "h3",
            "h4",
            "h5",
            "h6",
            "li",
            "blockquote",
            "dd",
            "dt",
            "div",
            "section",
            "article",
            "main",
            "br",
            "tr",
        }
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.skip_depth = 0
        self.lines: list[str] = []
        self.current: list[str] = []
        self.meta: dict[str, str] = {}
        self.title_parts: list[str] = []
        self.in_title = False
        self.lang: str | None = None

    def flush(self) -> None:
        line = " ".join("".join(self.current).split())
        if line:
            self.lines.append(line)
        self.current = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        amap = {k.lower(): (v or "") for k, v in attrs}
        if tag == "html" and amap.get("lang"):
            self.lang = amap["lang"]
        if tag == "meta":
            key = (amap.get("property") or amap.get("name") or amap.get("itemprop") or "").lower()
            if key and "content" in amap:
                self.meta.setdefault(key, amap["content"])
            return
        if tag == "title":
            self.in_title = True
        if tag in self._SKIP:
            self.skip_depth += 1
        if tag in self._BLOCK:
            self.flush()
        if tag in {"td", "th"} and self.skip_depth == 0:
            self.current.append(" | " if self.current else "| ")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self.in_title = False
        if tag in self._SKIP and self.skip_depth > 0:
            self.skip_depth -= 1
        if tag == "tr" and self.current:
            self.current.append(" |")
        if tag in self._BLOCK:
            self.flush()

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.title_parts.append(data)
            return
        if self.skip_depth == 0:
            self.current.append(data)


def _parse_date(value: str | None) -> dt.date | None:
    """Parse the leading ISO date of a metadata value.

    Args:
        value: A string such as ``2018-01-15`` or ``2018-01-15T09:12:00+09:00``.

    Returns:
        The date, or ``None``.
    """
    if not value:
        return None
    m = re.match(r"\s*(\d{4})-(\d{2})-(\d{2})", value)
    if not m:
        return None
    try:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def _clean(value: object) -> str | None:
    """Return a stripped non-empty string, or ``None``.

    Args:
        value: Any metadata value.

    Returns:
        The cleaned string or ``None``.
    """
    if value is None:
        return None
    text = " ".join(str(value).split())
    return text or None


def _trafilatura_extract(html: str) -> dict[str, Any] | None:
    """Run trafilatura with precision-favouring settings.

    Args:
        html: Page source.

    Returns:
        A dict with text and metadata, or ``None`` when trafilatura is not
        usable or finds no main text.
    """
    try:
        import trafilatura  # noqa: PLC0415 - optional at run time
    except ImportError:  # pragma: no cover - depends on the environment
        return None
    try:
        doc = trafilatura.bare_extraction(
            html,
            favor_precision=True,
            include_comments=False,
            include_tables=True,
            include_links=False,
            include_images=False,
            include_formatting=False,
            with_metadata=True,
            deduplicate=False,
        )
    except Exception:  # pragma: no cover - trafilatura raising on odd input
        return None
    if doc is None:
        return None
    data: dict[str, Any] = doc if isinstance(doc, dict) else doc.as_dict()
    if not _clean(data.get("text")):
        return None
    return data


def html_to_text(html: str) -> DocumentText:
    """Extract main text and metadata from an HTML page.

    Args:
        html: The page source.

    Returns:
        The document text (paragraphs separated by blank lines) and metadata
        from trafilatura, completed from ``<meta>`` tags and ``<html lang>``.
    """
    parser = _FallbackParser()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # pragma: no cover - html.parser is very lenient
        pass
    parser.flush()
    meta = parser.meta
    page_title = _clean("".join(parser.title_parts))

    data = _trafilatura_extract(html)
    title = _clean(data.get("title")) if data else None
    title = title or _clean(meta.get("og:title")) or page_title
    author = _clean(data.get("author")) if data else None
    author = author or _clean(meta.get("author") or meta.get("article:author"))
    publisher = _clean(data.get("sitename")) if data else None
    publisher = publisher or _clean(meta.get("og:site_name") or meta.get("publisher"))
    guessed = _parse_date(_clean(data.get("date"))) if data else None
    date = _parse_date(
        meta.get("article:published_time")
        or meta.get("date")
        or meta.get("datepublished")
        or meta.get("dc.date")
    )
    language = _clean(data.get("language")) if data else None
    language = language or _clean(parser.lang or meta.get("og:locale") or meta.get("language"))
    if language:
        language = language.replace("_", "-").split("-")[0].lower()

    raw_text = str(data["text"]) if data else "\n".join(parser.lines)
    text = remove_boilerplate(unescape(raw_text) if not data else raw_text, title=title)
    # no metadata: the dateline or a "Published:" line, before trafilatura's guess (which
    # may be a date read anywhere in the page, such as an event's)
    date = date or document_date(text) or guessed
    return DocumentText(
        text=text, title=title, author=author, publisher=publisher, date=date, language=language
    )


# --------------------------------------------------------------------------- plain / markdown

_MD_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_MD_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_MD_REF_LINK = re.compile(r"\[([^\]]+)\]\[[^\]]*\]")
_MD_LINK_DEF = re.compile(r"^[ \t]{0,3}\[[^\]]+\]:[ \t]*\S+.*$", re.MULTILINE)
_MD_HEADING = re.compile(r"^[ \t]{0,3}#{1,6}[ \t]+(.*?)[ \t]*#*[ \t]*$", re.MULTILINE)
_MD_SETEXT = re.compile(r"^[ \t]{0,3}(?:=+|-+)[ \t]*$", re.MULTILINE)
_MD_RULE = re.compile(
    r"^[ \t]{0,3}(?:(?:-[ \t]*){3,}|(?:\*[ \t]*){3,}|(?:_[ \t]*){3,})$", re.MULTILINE
)
_MD_QUOTE = re.compile(r"^[ \t]{0,3}>[ \t]?", re.MULTILINE)
_MD_FENCE = re.compile(r"^[ \t]*(?:```|~~~).*$", re.MULTILINE)
_MD_BOLD = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_MD_ITALIC = re.compile(r"(?<![\w*])([*_])(?=\S)(.+?)(?<=\S)\1(?![\w*])")
_MD_CODE = re.compile(r"`([^`]+)`")
_MD_TABLE_SEP = re.compile(
    r"^[ \t]*\|?[ \t]*:?-{3,}:?[ \t]*(?:\|[ \t]*:?-{3,}:?[ \t]*)*\|?[ \t]*(?:\n|$)", re.MULTILINE
)
_MD_HTML_TAG = re.compile(r"</?[a-zA-Z][^>]*>")


def _normalise_newlines(raw: str) -> str:
    r"""Use ``\n`` only, strip trailing spaces, collapse runs of blank lines.

    Args:
        raw: Any text.

    Returns:
        The normalised text without leading/trailing blank lines.
    """
    text = raw.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "")
    text = text.replace("\u00a0", " ").replace("\t", " ")
    lines = [line.rstrip() for line in text.split("\n")]
    text = "\n".join(lines)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip("\n")


def strip_markdown(text: str) -> str:
    """Remove markdown markup while keeping the text readable.

    Headings lose their ``#``, emphasis and code markers are removed, links and
    images keep their text, block quotes lose ``>``, horizontal rules, fences
    and table separator rows disappear. List markers (``-``, ``*``, ``1.``)
    are kept as ``-`` / ``1.`` so that lists still read as lists.

    Args:
        text: Newline-normalised markdown.

    Returns:
        Plain text.
    """
    text = _MD_FENCE.sub("", text)
    text = _MD_LINK_DEF.sub("", text)
    text = _MD_RULE.sub("", text)
    text = _MD_TABLE_SEP.sub("", text)
    text = _MD_SETEXT.sub("", text)
    text = _MD_HEADING.sub(r"\n\1\n", text)
    text = _MD_QUOTE.sub("", text)
    text = _MD_IMAGE.sub(r"\1", text)
    text = _MD_LINK.sub(r"\1", text)
    text = _MD_REF_LINK.sub(r"\1", text)
    text = re.sub(r"^([ \t]*)[*+][ \t]+", r"\1- ", text, flags=re.MULTILINE)
    for _ in range(2):
        text = _MD_BOLD.sub(r"\2", text)
    text = _MD_ITALIC.sub(r"\2", text)
    text = _MD_CODE.sub(r"\1", text)
    text = _MD_HTML_TAG.sub("", text)
    return _normalise_newlines(text)


def plain_to_text(raw: str, *, markdown: bool) -> DocumentText:
    """Normalise a plain-text or markdown document.

    Args:
        raw: The file's content.
        markdown: Whether to strip markdown markup (see :func:`strip_markdown`).

    Returns:
        The document text. For markdown, the title comes from a leading
        ``# `` heading (which stays in the text as a plain line); for plain
        text, the title is the first line when it is short and followed by a
        blank line.
    """
    text = _normalise_newlines(raw)
    title: str | None = None
    if markdown:
        m = re.match(r"\s{0,3}#\s+(.+?)\s*#*\s*(?:\n|$)", text)
        if m:
            title = _clean(_MD_BOLD.sub(r"\2", _MD_LINK.sub(r"\1", m.group(1))))
        text = strip_markdown(text)
    else:
        first, sep, _rest = text.partition("\n\n")
        if sep and "\n" not in first and len(first.split()) <= 20:
            title = _clean(first)
    # a dateline ("SEOUL, January 17, 2025 —") or a "Published:" line dates the document
    return DocumentText(text=text, title=title, date=document_date(text))
