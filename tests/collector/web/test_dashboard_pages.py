"""Small pieces of the dashboard's session module that need no server: redirects, throttle, CSRF."""

from __future__ import annotations

import pytest

from sync.collector.web import session


@pytest.mark.parametrize(("target", "expected"), [
    ("/stores/a?from=2026-01-01", "/stores/a?from=2026-01-01"),
    ("//evil.example", "/"), ("/\t/evil.example", "/"), ("https://evil.example", "/"),
    ("/\\evil.example", "/"), (None, "/"), ("", "/"),
])
def test_login_only_redirects_to_local_paths(target, expected):
    assert session.safe_next(target) == expected


def test_session_csrf_is_bound_to_the_session():
    first, second = session.session_csrf("a" * 43), session.session_csrf("b" * 43)
    assert first != second and len(first) == 64
    assert session.session_csrf("a" * 43) == first


@pytest.mark.parametrize("lang", ["fi", "sv", "en", "de"])
def test_the_500_page_speaks_the_readers_language_without_the_database(lang):
    from starlette.requests import Request

    from sync.collector.web import render
    from sync.collector.web.i18n import Translator

    scope = {"type": "http", "method": "GET", "path": "/stores/s1", "scheme": "http",
             "query_string": f"lang={lang}".encode(), "headers": [(b"accept", b"text/html")],
             "server": ("testserver", 80)}
    answer = render.browser_server_error(Request(scope), "0123abcd")  # no app, no storage
    t = Translator(lang)
    html = answer.body.decode()
    assert answer.status_code == 500
    assert t("server_error", rid="0123abcd") in html and t("server_error_title") in html
    assert "0123abcd" in t("server_error", rid="0123abcd")


def test_route_modules_never_import_each_other():
    import ast
    import importlib

    from tests.support import ROOT

    web = ROOT / "sync" / "collector" / "web"
    names = [p.stem for p in web.glob("*.py") if p.stem != "__init__"]
    routes = {name for name in names
              if hasattr(importlib.import_module(f"sync.collector.web.{name}"), "router")}
    assert {"login", "pages", "downloads", "static", "apidocs"} <= routes
    for name in routes:
        tree = ast.parse((web / f"{name}.py").read_text(encoding="utf-8"))
        imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        imported |= {f"sync.collector.web.{alias.name}" for node in ast.walk(tree)
                     if isinstance(node, ast.ImportFrom) and node.module == "sync.collector.web"
                     for alias in node.names}
        assert not {f"sync.collector.web.{other}" for other in routes} & imported, name
