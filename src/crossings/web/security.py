"""Who may talk to the web app, and what a browser may do with its pages.

Two pure ASGI middlewares:

* :class:`HostGuard` refuses (400) every request whose ``Host`` header is not
  one of the names the server is reached by (the bound address and the
  loopback names). A web page on another site cannot drive the app from the
  user's browser by DNS rebinding: its requests carry the attacker's host name.
* :class:`SecurityHeaders` adds a Content-Security-Policy (same-origin
  scripts, styles, images and requests only), ``X-Frame-Options: DENY``,
  ``X-Content-Type-Options: nosniff`` and ``Referrer-Policy: no-referrer`` to
  every response that does not set its own.

The pages keep every script and style in ``/static/``. The inline styles
allowed are those plotly.js itself adds, by their hashes: an *empty*
``<style>`` it fills through the CSSOM (which a policy does not restrict), and
the fixed style sheets its bundle carries as text (:func:`plotly_style_hashes`).
The full report (one offline file with inline scripts) is served with a
policy that lists the hash of each of its scripts and styles:
:func:`inline_policy`.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable, Sequence

from starlette.types import ASGIApp, Message, Receive, Scope, Send

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
"""The names a browser on this machine uses for a server bound to the loopback."""

EMPTY_STYLE_HASH = "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"
"""The hash of an empty inline ``<style>`` (plotly.js adds one and fills it via the CSSOM)."""

_FIXED_DIRECTIVES = (
    "default-src 'none'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
)


def policy(scripts: Iterable[str] = ("'self'",), styles: Iterable[str] = ("'self'",)) -> str:
    """A Content-Security-Policy header value.

    Args:
        scripts: Sources allowed in ``script-src``.
        styles: Sources allowed in ``style-src`` (the empty-style hash is always added).

    Returns:
        The header value.
    """
    styles = tuple(s for s in styles if s != EMPTY_STYLE_HASH)
    return "; ".join(
        (
            _FIXED_DIRECTIVES[0],
            "script-src " + " ".join(scripts),
            "style-src " + " ".join((*styles, EMPTY_STYLE_HASH)),
            *_FIXED_DIRECTIVES[1:],
        )
    )


CONTENT_SECURITY_POLICY = policy()
"""The strictest policy: scripts and styles from this origin only (and the empty style)."""

Headers = tuple[tuple[bytes, bytes], ...]


def security_headers(content_security_policy: str = CONTENT_SECURITY_POLICY) -> Headers:
    """The headers every response carries, with the given policy."""
    return (
        (b"content-security-policy", content_security_policy.encode("ascii")),
        (b"x-frame-options", b"DENY"),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"no-referrer"),
    )


SECURITY_HEADERS = security_headers()

_INLINE_RE = re.compile(r"<(script|style)\b([^>]*)>(.*?)</\1\s*>", re.IGNORECASE | re.DOTALL)
_PLOTLY_STYLE_RE = re.compile(
    r"""createElement\("style"\);[^;]{0,300}?\.textContent=(['"])((?:\\.|(?!\1).)*)\1""",
    re.DOTALL,
)
_JS_ESCAPE_RE = re.compile(r"\\(u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|.)", re.DOTALL)
_JS_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}


def _js_unescape(literal: str) -> str:
    """The value of a JavaScript string literal's body (the common escapes)."""

    def one(m: re.Match[str]) -> str:
        e = m.group(1)
        if e[0] in "ux" and len(e) > 1:
            return chr(int(e[1:], 16))
        if e == "\n":  # a line continuation
            return ""
        return _JS_SIMPLE_ESCAPES.get(e, e)

    return _JS_ESCAPE_RE.sub(one, literal)


def plotly_style_hashes(plotly_js: str) -> tuple[str, ...]:
    """The hashes of the style sheets plotly.js adds as ``<style>`` text (e.g. its maps').

    The bundle creates them from string literals; allowing exactly those
    (rather than ``'unsafe-inline'``) keeps every other inline style refused.

    Args:
        plotly_js: The plotly.js bundle served at ``/static/plotly.js``.

    Returns:
        CSP hash sources, in the order found.
    """
    found = (_source_hash(_js_unescape(m.group(2))) for m in _PLOTLY_STYLE_RE.finditer(plotly_js))
    return tuple(dict.fromkeys(found))


def _source_hash(text: str) -> str:
    """The CSP hash source of an inline script or style (as the browser parses it)."""
    normalised = text.replace("\r\n", "\n").replace("\r", "\n")
    digest = hashlib.sha256(normalised.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def inline_policy(html: str) -> str:
    """A policy allowing exactly the inline scripts and styles of a page, by their hashes.

    Used for the full report, a single offline file whose scripts are inline
    (plotly.js among them, so the style sheets it adds are allowed too):
    nothing added to the page later (and no other inline code) can run.

    Args:
        html: The page.

    Returns:
        The header value.
    """
    scripts: list[str] = []
    styles: list[str] = []
    for tag, attrs, body in _INLINE_RE.findall(html):
        if "src=" in attrs.lower():
            continue
        (scripts if tag.lower() == "script" else styles).append(_source_hash(body))
    styles.extend(plotly_style_hashes(html))
    return policy(
        scripts=dict.fromkeys(scripts) or ("'none'",), styles=dict.fromkeys(styles) or ("'none'",)
    )


# ------------------------------------------------------------------ hosts
def _split_host(value: str) -> tuple[str, int | None] | None:
    """``host[:port]`` (IPv6 in brackets) as ``(host, port)``; None if malformed."""
    value = value.strip().lower()
    if value.startswith("["):
        end = value.find("]")
        if end < 0:
            return None
        name, rest = value[: end + 1], value[end + 1 :]
    else:
        name, sep, port_text = value.partition(":")
        rest = sep + port_text
    if not name:
        return None
    if not rest:
        return name, None
    if not rest.startswith(":") or not rest[1:].isdigit() or len(rest) > 6:
        return None
    return name, int(rest[1:])


def host_name(host: str) -> str:
    """A bind address as it appears in a ``Host`` header (IPv6 in brackets, lower case)."""
    host = host.strip().lower()
    if ":" in host and not host.startswith("["):
        return f"[{host}]"
    return host


def allowed_hosts(host: str, port: int) -> tuple[str, ...]:
    """The ``Host`` values a server bound to ``host:port`` answers.

    Args:
        host: The address given to ``serve`` (``--host``).
        port: The TCP port.

    Returns:
        ``name:port`` for the loopback names and for ``host`` itself.
    """
    names = dict.fromkeys((*LOOPBACK_NAMES, host_name(host)))
    return tuple(f"{n}:{port}" for n in names)


class HostGuard:
    """ASGI middleware refusing requests whose ``Host`` is not an allowed one.

    Args:
        app: The wrapped application.
        allowed: ``name:port`` (that port only) or ``name`` (any port) entries;
            IPv6 addresses in brackets.
        headers: The security headers of the refusal.
    """

    def __init__(
        self, app: ASGIApp, allowed: Sequence[str], headers: Headers = SECURITY_HEADERS
    ) -> None:
        self.app = app
        self.headers = headers
        self.any_port: set[str] = set()
        self.exact: set[tuple[str, int]] = set()
        for entry in allowed:
            parts = _split_host(entry)
            if parts is None:
                raise ValueError(f"malformed allowed host {entry!r} (expected name or name:port)")
            name, port = parts
            if port is None:
                self.any_port.add(name)
            else:
                self.exact.add((name, port))

    def allows(self, value: str | None) -> bool:
        """Whether a ``Host`` header value is one this server answers."""
        parts = _split_host(value) if value else None
        if parts is None:
            return False
        name, port = parts
        return name in self.any_port or (port is not None and (name, port) in self.exact)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on, or answer 400 for a foreign or missing ``Host``."""
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        values = [v for k, v in scope.get("headers") or [] if k.lower() == b"host"]
        value = values[0].decode("latin-1") if len(values) == 1 else None
        if self.allows(value):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        body = (
            b"400 Bad Request: invalid Host header. This server answers only requests "
            b"addressed to the address it is bound to.\n"
        )
        await send(
            {
                "type": "http.response.start",
                "status": 400,
                "headers": [
                    (b"content-type", b"text/plain; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                    *self.headers,
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


class SecurityHeaders:
    """ASGI middleware adding the security headers to every HTTP response.

    A header the response already sets (the report's own policy) is kept.

    Args:
        app: The wrapped application.
        headers: The headers (:func:`security_headers`).
    """

    def __init__(self, app: ASGIApp, headers: Headers = SECURITY_HEADERS) -> None:
        self.app = app
        self.headers = headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on, adding the headers to its response."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = with_security_headers(
                    list(message.get("headers") or []), self.headers
                )
            await send(message)

        await self.app(scope, receive, send_with_headers)


def with_security_headers(
    headers: list[tuple[bytes, bytes]], extra: Headers = SECURITY_HEADERS
) -> list[tuple[bytes, bytes]]:
    """``headers`` plus every header of ``extra`` they do not set already."""
    present = {k.lower() for k, _ in headers}
    return headers + [(k, v) for k, v in extra if k not in present]
