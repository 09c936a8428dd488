"""The README and docs/ describe what exists: a clone is self-contained, links and file names
resolve, and every /admin route the docs name is served."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest
from aiohttp import web

from bot.cli import COMMANDS
from bot.clock import SystemClock
from bot.dashboard.routes import add_dashboard_routes

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")
FILE_NAME = re.compile(
    r"`((?:bot|adapters|conversations|delivery|storage|tests|docs|benchmarks)/[\w/.]+)`"
)
# A comment citing a section: docs/architecture.md, "Four floors" (or: docs/x.md ("…")).
CITATION = re.compile(r'docs/(\w+\.md)[,:]?\s*\(?\s*"([^"]{1,80})"')


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_no_document_points_outside_the_repository(doc: Path) -> None:
    text = doc.read_text(encoding="utf-8")
    assert "../shared" not in text and "DESIGN.md" not in text


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_relative_links_and_file_names_exist(doc: Path) -> None:
    text = doc.read_text(encoding="utf-8")
    targets = [t for t in LINK.findall(text) if not t.startswith(("http:", "https:", "mailto:"))]
    missing = [t for t in targets if not (doc.parent / t).exists()]
    missing += [name for name in FILE_NAME.findall(text) if not (ROOT / name).exists()]
    assert missing == [], f"{doc.name} names what does not exist: {missing}"


def test_the_readme_points_to_the_architecture_document() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "(docs/architecture.md)" in readme
    architecture = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    for floor in ("bot/", "adapters/", "conversations/", "storage/", "due_work"):
        assert floor in architecture


def test_every_admin_route_in_dashboard_md_is_served() -> None:
    app = web.Application()
    # The routes keep the bot for later requests (none is made here); only its clock is read.
    add_dashboard_routes(app, cast(Any, SimpleNamespace(clock=SystemClock())))
    served = {r.resource.canonical for r in app.router.routes() if r.resource is not None}
    named = set(re.findall(r"`?(/admin(?:/[\w.]+)?)", (ROOT / "docs" / "dashboard.md").read_text()))
    assert named and named <= served, named - served
    assert {"/admin/export.zip", "/admin/chart.png"} <= named


def test_every_command_in_the_readme_exists() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    used = set(re.findall(r"^\.venv/bin/mentorbot (\w+)", readme, flags=re.MULTILINE))
    assert used and used <= set(COMMANDS), used - set(COMMANDS)
    assert "health" in used


def test_no_tracked_file_cites_a_document_the_clone_lacks() -> None:
    """Comments cite the repository's own docs: a design document kept outside the repository
    is no help to someone reading a clone."""
    listed = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    needles = ("DESIGN " + "\u00a7", "DESIGN" + ".md", "PROGRAMME" + ".md", "../" + "shared")
    # A bare section number (the sign, then a digit) cites the same outside document.
    section = re.compile("\u00a7" + r"\s?\d")
    citing = []
    for name in listed:
        path = ROOT / name
        if path.suffix not in {".py", ".md", ".yaml", ".yml", ".json", ".toml", ".cfg", ".txt"}:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        citing += [f"{name}: {n}" for n in needles if n in text and path != Path(__file__)]
        citing += [f"{name}: {m.group(0)}" for m in section.finditer(text)]
    assert listed and citing == [], "cite docs/ instead: " + ", ".join(citing)


def _plain(text: str) -> str:
    return " ".join(text.replace("`", "").split()).lower()


def test_every_section_a_comment_cites_exists() -> None:
    """A comment pointing at "docs/x.md, "Section"" leads to a heading that holds those words,
    so renaming a section means fixing the comments that send readers there."""
    listed = subprocess.run(
        ["git", "ls-files", "*.py"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    headings: dict[str, list[str]] = {}
    for doc in (ROOT / "docs").glob("*.md"):
        lines = doc.read_text(encoding="utf-8").splitlines()
        headings[doc.name] = [_plain(line.lstrip("#")) for line in lines if line.startswith("#")]
    lost = []
    for name in listed:
        if ROOT / name == Path(__file__):
            continue  # its own docstrings show the form
        text = (ROOT / name).read_text(encoding="utf-8")
        for doc, section in CITATION.findall(text):
            wanted = _plain(section.replace('"""', ""))
            if not any(wanted in heading for heading in headings.get(doc, [])):
                lost.append(f'{name} cites docs/{doc}, "{section}": no such heading')
    assert lost == [], "\n".join(lost)
