"""The web app's defences: Host check, security headers, strict JSON, overrides that name files.

Each attack of issue 11 is replayed against the app: a foreign ``Host``
(DNS rebinding), a page framed or sniffed, ``NaN``/``Infinity`` in a body,
and overrides that would make the server read ``/etc/passwd``,
``/proc/self/environ`` or a CSV of the attacker's choice. None may succeed,
none may give a 500, and no answer may hold a byte of the files named.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from crossings.web import create_app
from crossings.web.security import (
    EMPTY_STYLE_HASH,
    HostGuard,
    allowed_hosts,
    inline_policy,
    plotly_style_hashes,
)
from test_web_timing import wait_until

TEST_HOSTS = ("testserver",)
SHORT = {"time.end": "2003-12-31"}
PORT = 8787


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("web-security")


@pytest.fixture(scope="module")
def client(data_dir: Path) -> Iterator[TestClient]:
    with TestClient(create_app(data_dir, workers=1, allowed_hosts=TEST_HOSTS)) as c:
        yield c


@pytest.fixture(scope="module")
def served(data_dir: Path) -> Iterator[TestClient]:
    """The app as ``crossings serve`` builds it on 127.0.0.1:8787 (no test host allowed)."""
    app = create_app(data_dir, workers=1, allowed_hosts=allowed_hosts("127.0.0.1", PORT))
    with TestClient(app, base_url=f"http://127.0.0.1:{PORT}") as c:
        yield c


# ---------------------------------------------------------------- Host
@pytest.mark.parametrize(
    "host", [f"127.0.0.1:{PORT}", f"localhost:{PORT}", f"[::1]:{PORT}", f"LOCALHOST:{PORT}"]
)
def test_bound_names_are_answered(served: TestClient, host: str) -> None:
    r = served.get("/api/scenarios", headers={"Host": host})
    assert r.status_code == 200, r.text


@pytest.mark.parametrize(
    "host",
    [
        f"evil.test:{PORT}",
        "evil.test",
        "127.0.0.1",  # no port: port 80, not the bound one
        "127.0.0.1:8788",
        f"127.0.0.1.evil.test:{PORT}",
        f"localhost.:{PORT}",
        f"127.0.0.1:{PORT}@evil.test",
        "testserver",
        "",
        f"[::1:{PORT}",
    ],
)
def test_foreign_host_is_refused(served: TestClient, host: str) -> None:
    for method, path in (("GET", "/"), ("GET", "/api/runs"), ("POST", "/api/validate")):
        r = served.request(method, path, headers={"Host": host}, json={"scenario": "example"})
        assert r.status_code == 400, (host, path, r.status_code)
        assert r.headers["content-type"].startswith("text/plain")
        assert "invalid Host header" in r.text
        assert host not in r.text or not host  # the foreign name is not echoed
        assert r.headers["x-frame-options"] == "DENY"


def test_test_client_host_needs_to_be_allowed(data_dir: Path) -> None:
    with TestClient(create_app(data_dir, workers=1)) as default:  # loopback names only
        assert default.get("/api/scenarios").status_code == 400
        assert default.get("/api/scenarios", headers={"Host": "localhost:1234"}).status_code == 200
        assert default.get("/api/scenarios", headers={"Host": "[::1]"}).status_code == 200


def test_allowed_hosts_of_serve() -> None:
    assert allowed_hosts("127.0.0.1", 8787) == ("127.0.0.1:8787", "localhost:8787", "[::1]:8787")
    assert allowed_hosts("192.168.1.5", 80)[-1] == "192.168.1.5:80"
    assert allowed_hosts("::1", 9000) == ("127.0.0.1:9000", "localhost:9000", "[::1]:9000")
    assert allowed_hosts("fe80::2", 9000)[-1] == "[fe80::2]:9000"
    with pytest.raises(ValueError, match="malformed allowed host"):
        HostGuard(lambda *a: None, ["bad host:x"])  # type: ignore[arg-type, return-value]


# ---------------------------------------------------------------- headers
def check_headers(headers: Any) -> str:
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    csp: str = headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    assert "*" not in csp and "http" not in csp
    return csp


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/runs",
        "/compare",
        "/runs/0123456789abcdef",  # an HTML 404
        "/api/scenarios",
        "/api/runs/0123456789abcdef",  # a JSON 404
        "/api/runs/0123456789abcdef/stocks",
        "/static/app.js",
        "/static/style.css",
        "/static/plotly.js",
        "/static/nosuch.js",
        "/favicon.ico",
        "/openapi.json",
        "/no/such/page",
    ],
)
def test_security_headers_everywhere(client: TestClient, path: str) -> None:
    r = client.get(path)
    csp = check_headers(r.headers)
    assert "script-src 'self'" in csp


def test_security_headers_on_errors(client: TestClient, data_dir: Path) -> None:
    r = client.post("/api/validate", content=b"{", headers={"Content-Type": "application/json"})
    assert r.status_code == 422
    check_headers(r.headers)
    r = client.post("/api/validate", json={"overrides": {"x": "y" * 1_100_000}})
    assert r.status_code == 413
    check_headers(r.headers)
    app = create_app(data_dir, workers=1, allowed_hosts=TEST_HOSTS)

    @app.get("/api/boom")
    def boom() -> None:
        raise RuntimeError("secret detail")

    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.get("/api/boom")
    assert r.status_code == 500 and r.json() == {"detail": "internal error"}
    check_headers(r.headers)


def test_pages_hold_no_inline_code(client: TestClient) -> None:
    """Scripts and styles come from /static/ only; JSON data blocks are not code."""
    for path in ("/", "/?scenario=north-korea", "/runs", "/compare"):
        html = client.get(path).text
        for attrs, body in re.findall(r"<script\b([^>]*)>(.*?)</script>", html, re.S):
            assert "src=" in attrs or 'type="application/json"' in attrs, (path, attrs)
            assert "src=" not in attrs or not body.strip()
        assert "<style" not in html
        assert not re.search(r"\son[a-z]+\s*=", html), path  # no inline event handlers
        assert not re.search(r"\sstyle\s*=", html), path
        assert "javascript:" not in html


def test_plotly_styles_are_allowed_by_hash(client: TestClient) -> None:
    js = client.get("/static/plotly.js").text
    hashes = plotly_style_hashes(js)
    assert hashes, "the plotly bundle's style sheets were not found"
    csp = client.get("/").headers["content-security-policy"]
    style_src = next(d for d in csp.split(";") if d.strip().startswith("style-src"))
    assert EMPTY_STYLE_HASH in style_src
    assert all(h in style_src for h in hashes)


def test_inline_policy_hashes_exactly_the_inline_code() -> None:
    html = (
        "<html><head><style>p{color:red}</style><script src='/x.js'></script></head>"
        "<body><script>var a = 1;\r\n</script><script type='text/javascript'>b()</script>"
        "</body></html>"
    )
    csp = inline_policy(html)
    scripts = next(d for d in csp.split(";") if d.strip().startswith("script-src"))
    styles = next(d for d in csp.split(";") if d.strip().startswith("style-src"))
    # sha256 of "var a = 1;\n" (the browser normalises CRLF) and of "b()"
    assert "'sha256-V0f/LPEcxtISW3KKv7ZGyUbqjRS+tmt/7Zpk84of77E='" in scripts
    assert "'sha256-cf242PFc/kb7xD0Qzhsmd9vvRkc+cWFmbi+k+YvtdKc='" in scripts
    assert len(scripts.split()) == 3  # the two hashes, and not 'self' or 'unsafe-inline'
    assert "'sha256-" in styles and "'unsafe-inline'" not in csp


# ---------------------------------------------------------------- strict JSON
@pytest.mark.parametrize(
    ("body", "needle"),
    [
        (b'{"scenario": "example", "runs": NaN}', "'NaN' is not valid JSON"),
        (b'{"scenario": "example", "overrides": {"x": Infinity}}', "'Infinity' is not valid"),
        (b'{"scenario": "example", "overrides": {"x": -Infinity}}', "'-Infinity' is not valid"),
        (b'{"scenario": "example", "seed": 1e400}', "too large"),
        (b'{"scenario": "example", "overrides": {"a": 1' + b"0" * 5000 + b"}}", "invalid number"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b'{"scenario": "\xff"}', "not UTF-8"),
    ],
)
@pytest.mark.parametrize("path", ["/api/validate", "/api/runs", "/api/variants"])
def test_non_finite_and_malformed_json(
    client: TestClient, body: bytes, needle: str, path: str
) -> None:
    r = client.post(path, content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 422, (path, body[:60], r.status_code, r.text[:300])
    out = r.json()
    assert out["detail"].startswith("invalid request: ")
    assert "not valid JSON" in out["detail"]
    assert needle in out["detail"], out["detail"]
    assert out["issues"] and out["issues"][0]["severity"] == "error"


def test_validation_errors_are_plain_sentences(client: TestClient) -> None:
    r = client.post("/api/runs", json={"scenario": "example", "runs": 0})
    assert r.status_code == 422
    out = r.json()
    assert isinstance(out["detail"], str)
    assert out["detail"].startswith("invalid request: body.runs: ")
    assert out["issues"][0]["path"] == "body.runs" and out["issues"][0]["found"] == "0"


# ---------------------------------------------------------------- overrides naming files
def secret_files(tmp_path: Path) -> dict[str, str]:
    """Files whose content must never come back: path → a line of it."""
    out = {}
    passwd = Path("/etc/passwd")
    if passwd.is_file():
        out[str(passwd)] = passwd.read_text().splitlines()[0]
    environ = Path("/proc/self/environ")
    if environ.is_file():
        out[str(environ)] = "CROSSINGS_SECRET_MARKER=hunter2"
    csv = tmp_path / "observed.csv"
    csv.write_text("year,value\n2001,424242\n2002,535353\n")
    out[str(csv)] = "424242"
    return out


@pytest.fixture
def secret(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, str]:
    monkeypatch.setenv("CROSSINGS_SECRET_MARKER", "hunter2")  # in /proc/self/environ
    assert "hunter2" in os.environ["CROSSINGS_SECRET_MARKER"]
    return secret_files(tmp_path)


def refused_bodies(path: str) -> list[dict[str, Any]]:
    rel = os.path.relpath(path, "/")
    return [
        {"observations.0.file": path},
        {"observations[0].file": path},
        {"observations.arrivals.file": path},
        {"observations.0.File": path},
        {"extends": path},
        {"observations.0.file": "../../../../../../" + rel},
        {"observations.0": "{id: x, file: " + path + "}"},
        {"observations": "[{id: stolen, file: '" + path + "', kind: count}]"},
        {"observations.0": "{file: &a " + path + "}"},
        {"notes": "*alias"},
        {"a..b": 1},
        {"a/b": 1},
    ]


def assert_refused(r: Any, secret: dict[str, str]) -> None:
    assert r.status_code == 422, r.text[:500]
    for needle in secret.values():
        assert needle not in r.text
    assert "root:" not in r.text and "hunter2" not in r.text
    out = r.json()
    assert isinstance(out["detail"], str) and out["issues"]


def test_overrides_naming_files_are_refused(client: TestClient, secret: dict[str, str]) -> None:
    for path in secret:
        for overrides in refused_bodies(path):
            body = {"scenario": "example", "overrides": {**SHORT, **overrides}}
            for url in ("/api/validate", "/api/runs", "/api/variants"):
                payload = {**body, "name": "stolen"} if url == "/api/variants" else body
                r = client.post(url, json=payload)
                assert_refused(r, secret)
                key = next(iter(overrides))
                if url == "/api/validate" and "file" in key.lower():
                    assert "never reads files" in r.text, r.text
    assert client.get("/api/variants", params={"scenario": "example"}).json() == []
    assert all(r["state"] != "queued" for r in client.get("/api/runs").json())


def test_saved_variant_naming_a_file_is_refused_at_run(
    client: TestClient, data_dir: Path, secret: dict[str, str]
) -> None:
    """A variant file written before the check (or by hand) cannot smuggle a file in."""
    csv = next(p for p in secret if p.endswith(".csv"))
    folder = data_dir / "variants" / "example"
    folder.mkdir(parents=True, exist_ok=True)
    record = {"scenario": "example", "name": "old", "overrides": {"observations.0.file": csv}}
    (folder / "old.json").write_text(json.dumps(record))
    try:
        r = client.post("/api/runs", json={"scenario": "example", "saved_variant": "old"})
        assert_refused(r, secret)
        assert "never reads files" in r.json()["detail"]
    finally:
        (folder / "old.json").unlink()


def test_a_run_never_shows_an_outside_csv(client: TestClient, secret: dict[str, str]) -> None:
    """The CSV with a year column is neither accepted nor ever in a run's observations."""
    csv = next(p for p in secret if p.endswith(".csv"))
    r = client.post(
        "/api/runs",
        json={"scenario": "example", "overrides": {**SHORT, "observations.0.file": csv}},
    )
    assert_refused(r, secret)
    r = client.post("/api/runs", json={"scenario": "example", "overrides": SHORT, "seed": 2})
    assert r.status_code == 202
    run_id = r.json()["run_id"]

    def ended() -> dict[str, Any] | None:
        status: dict[str, Any] = client.get(f"/api/runs/{run_id}").json()
        return status if status["state"] in ("done", "failed") else None

    assert wait_until(ended, 60, f"run {run_id}")["state"] == "done"
    obs = client.get(f"/api/runs/{run_id}/observations")
    assert obs.status_code == 200
    assert "424242" not in obs.text and "535353" not in obs.text
    assert {o["series"] for o in obs.json()} == {"arrivals", "arrivals_female_share"}


def test_plain_values_still_pass(client: TestClient) -> None:
    r = client.post(
        "/api/validate",
        json={
            "scenario": "example",
            "overrides": {
                **SHORT,
                "policies.crackdown.effects.0.factor.value": 2.5,
                "policies.crackdown.to": "null",
            },
        },
    )
    assert r.status_code == 200 and r.json()["valid"] is True, r.text
