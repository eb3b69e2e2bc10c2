"""docs/collector.md documents every command, setting and API route there is."""

from __future__ import annotations

import re

import click
import pytest

from sync.collector.cli import cli
from sync.collector.settings import describe
from tests.support import ROOT

DOCS = (ROOT / "docs" / "collector.md").read_text(encoding="utf-8")


def commands(group: click.Group, prefix: str = "hymy-collector") -> list[str]:
    """Every command path, e.g. 'hymy-collector token add'."""
    found = []
    for name, command in group.commands.items():
        path = f"{prefix} {name}"
        if isinstance(command, click.Group):
            found += commands(command, path)
        else:
            found.append(path)
    return found


@pytest.mark.parametrize("command", commands(cli))
def test_every_command_is_documented(command):
    assert f"`{command}" in DOCS


@pytest.mark.parametrize("command", commands(cli))
def test_every_command_has_help_with_an_example(command):
    group: click.Command = cli
    for name in command.split()[1:]:
        group = group.commands[name]
    assert group.help and "Example" in group.help


@pytest.mark.parametrize(("name", "env"), [(name, env) for name, env, _, _ in describe()])
def test_every_setting_is_documented(name, env):
    assert f"`{name}`" in DOCS and f"`{env}`" in DOCS


def test_every_api_route_is_documented(tmp_path, monkeypatch):
    monkeypatch.setenv("HYMY_DATABASE", str(tmp_path / "docs.db"))
    from sync.collector.app import create_app

    spec = create_app().openapi()
    for path, operations in spec["paths"].items():
        if not path.startswith(("/api/", "/healthz")):
            continue
        for method in operations:
            assert f"| {method.upper()} | `{path}` |" in DOCS, f"{method.upper()} {path}"


def test_every_dashboard_module_is_in_the_module_table():
    web = ROOT / "sync" / "collector" / "web"
    for module in sorted(web.glob("*.py")):
        if module.name != "__init__.py":
            assert f"`web/{module.name}`" in DOCS, module.name


def test_the_settings_section_names_exactly_the_serve_options():
    named = set(re.findall(r"`(--[a-z-]+)`", DOCS.split("## Settings", 1)[1].split("\n\n", 2)[1]))
    options = {opt for param in cli.commands["serve"].params for opt in param.opts
               if opt.startswith("--") and opt != "--help"}
    assert named == options
