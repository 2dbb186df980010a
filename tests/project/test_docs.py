"""The repository explains itself, and what it says is true.

- No file points to documents outside the repository or to issue numbers: a reader of a clone
  has neither.
- Every relative link of the Markdown pages (README.md, docs/, infra/) leads to a file that
  exists (and to a heading that exists, when it names one).
- Every repository path they quote in backticks (`model_factory/outputs.py`) exists.
- Every `model-factory` command written in a shell block of those pages exists, with the
  options it is shown with.
- Every `make` target they name exists.
- Dated measurements live only in docs/performance.md, which `make bench` regenerates.
- The shell blocks marked `<!-- runnable -->` run as written, against this process's ZenML store.
"""

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from support import PROJECT_ROOT, clear_stages

PAGES = [PROJECT_ROOT / "README.md", *sorted((PROJECT_ROOT / "docs").glob("*.md"))]


SKIPPED_DIRS = {".git", ".venv", ".tools", ".zen", "build", "outputs", "__pycache__", ".terraform"}
TEXT_SUFFIXES = {".py", ".md", ".toml", ".yaml", ".yml", ".tf", ".hcl", ".sh", ".cfg", ".txt"}
TEXT_NAMES = {"Makefile", "Dockerfile", "run"}

# Built from pieces so that this file does not match itself.
OUTSIDE_REFERENCES = [
    (re.compile(r"\.\./" + "shared"), "a folder outside the repository"),
    (re.compile("DESIGN" + r"(\.md|\s*§)"), "a design document outside the repository"),
    (re.compile(r"\bissues?[\s-]+#?\d+", re.IGNORECASE), "an issue number"),
    (re.compile(r"(?:^|[\s(\[,])#\d{1,5}\b"), "an issue number"),
    (re.compile(r"\bissues/\d+"), "an issue link"),
]
BOOK_RULE = re.compile(r"the book's rule(?![^.;)\n]{0,30}\b(?:ch\.|chapters?)\s*\d)")


def _text_files() -> list[Path]:
    files = []
    for dirpath, dirnames, filenames in os.walk(PROJECT_ROOT):
        dirnames[:] = [d for d in dirnames if d not in SKIPPED_DIRS and not d.endswith(".egg-info")]
        for name in filenames:
            path = Path(dirpath, name)
            if path.suffix in TEXT_SUFFIXES or name in TEXT_NAMES:
                files.append(path)
    return files


def test_no_file_refers_to_documents_outside_the_repository_or_to_issue_numbers():
    files = _text_files()
    assert len(files) > 200  # the walk found the tree
    found = []
    for path in files:
        if path == Path(__file__):
            continue
        relative = path.relative_to(PROJECT_ROOT)
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            for pattern, what in OUTSIDE_REFERENCES:
                if pattern.search(line):
                    found.append(f"{relative}:{number}: {what}: {line.strip()}")
            if BOOK_RULE.search(line):
                found.append(f"{relative}:{number}: the book's rule without a chapter")
    assert found == []


def test_the_reference_checks_catch_what_they_are_for():
    """Each pattern above fires on an example of what it forbids, and not on look-alikes."""
    hits = {
        "see ../" + "shared/notes.md": True,
        "DESIGN" + " §4 says": True,
        "DESIGN" + ".md": True,
        "fixed in issue 21": True,
        "the issue-16 benchmarks": True,
        "(#21)": True,
        "color:#222": False,
        "a tissue 3 cm": False,
        "# 1 is the first": False,
    }
    for line, forbidden in hits.items():
        assert any(p.search(line) for p, _ in OUTSIDE_REFERENCES) is forbidden, line
    assert BOOK_RULE.search("min_samples fixed (the book's rule)")
    assert not BOOK_RULE.search("min_samples fixed (the book's rule, ch. 1 and 9)")


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    anchors, seen = set(), {}
    in_code = False
    for line in page.read_text().splitlines():
        if line.startswith("```"):
            in_code = not in_code
        elif not in_code and (match := re.match(r"#{1,6}\s+(.*)", line)):
            slug = _slug(match.group(1))
            anchors.add(slug if slug not in seen else f"{slug}-{seen[slug]}")
            seen[slug] = seen.get(slug, 0) + 1
    return anchors


LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def _links(page: Path) -> list[str]:
    text = re.sub(r"```.*?```", "", page.read_text(), flags=re.DOTALL)
    return LINK.findall(text)


def test_every_relative_link_of_the_docs_resolves():
    pages = [path for path in _text_files() if path.suffix == ".md"]
    assert set(PAGES) <= set(pages)
    broken, checked = [], 0
    for page in pages:
        for target in _links(page):
            if re.match(r"[a-z]+:", target):  # https:, mailto:
                continue
            path_part, _, anchor = target.partition("#")
            resolved = (page.parent / path_part).resolve() if path_part else page
            checked += 1
            where = f"{page.relative_to(PROJECT_ROOT)}: {target}"
            if not resolved.exists():
                broken.append(f"{where}: no such file")
            elif anchor and resolved.suffix == ".md" and anchor not in _anchors(resolved):
                broken.append(f"{where}: no heading #{anchor}")
    assert checked > 20  # the pages have links
    assert broken == []


QUOTED_PATH = re.compile(
    r"`((?:model_factory|steps|pipelines|components|tests|benchmarks|infra|zenml_config|docs)"
    r"/[^`\s*{}<>]+)`"
)


def test_every_repository_path_quoted_in_the_docs_exists():
    """Files move; a page naming the old place sends its reader nowhere."""
    missing, checked = [], 0
    for page in PAGES:
        for quoted in QUOTED_PATH.findall(page.read_text()):
            checked += 1
            if not (PROJECT_ROOT / quoted).exists():
                missing.append(f"{page.relative_to(PROJECT_ROOT)}: {quoted}")
    assert checked > 20
    assert missing == []


def _shell_blocks(page: Path) -> list[tuple[bool, str]]:
    """(marked runnable, code) for every bash block of the page."""
    pattern = re.compile(r"(<!-- runnable -->\n)?```bash\n(.*?)```", re.DOTALL)
    return [(bool(m.group(1)), m.group(2)) for m in pattern.finditer(page.read_text())]


def _commands(code: str) -> list[str]:
    """Logical lines of a shell block: continuations joined, comments and blanks dropped."""
    joined = re.sub(r"\\\n\s*", " ", code)
    commands = []
    for line in joined.splitlines():
        line = re.sub(r"\s+#\s.*$", "", line).strip()
        if line and not line.startswith("#"):
            commands.append(line)
    return commands


def _cli():
    import typer.main

    from model_factory.cli import app

    return typer.main.get_command(app)


def _check_model_factory_command(root, words: list[str]) -> str | None:
    """Why `model-factory WORDS` does not match the CLI, or None when it does."""
    command, rest = root, list(words)
    while rest and hasattr(command, "commands"):
        if rest[0] not in command.commands:
            return f"no command {rest[0]!r}"
        command = command.commands[rest.pop(0)]
    if hasattr(command, "commands"):
        return "a group, not a command"
    options = {opt for param in command.params for opt in param.opts + param.secondary_opts}
    shown = {word.strip("[]").split("=")[0] for word in rest}
    unknown = sorted(w for w in shown if w.startswith("--") and w not in options | {"--help"})
    return f"unknown options {unknown}" if unknown else None


def test_every_model_factory_command_in_the_docs_exists_with_its_options():
    root = _cli()
    wrong, seen = [], 0
    for page in PAGES:
        for _, code in _shell_blocks(page):
            for line in _commands(code):
                for part in re.split(r"&&|\|\||;|\|", line):
                    try:
                        words = shlex.split(part)
                    except ValueError:
                        words = part.split()
                    if words[:1] != ["model-factory"]:
                        continue
                    seen += 1
                    if problem := _check_model_factory_command(root, words[1:]):
                        wrong.append(f"{page.relative_to(PROJECT_ROOT)}: {part.strip()}: {problem}")
    assert seen > 20  # the pages show commands
    assert wrong == []


def test_the_command_check_catches_a_wrong_command():
    root = _cli()
    assert _check_model_factory_command(root, ["train", "bank", "--data", "x"]) is None
    assert "no command" in _check_model_factory_command(root, ["train", "no-such-use-case"])
    assert "unknown options" in _check_model_factory_command(root, ["models", "--no-such-flag"])


def test_every_make_target_in_the_docs_exists():
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z][a-z-]*):", makefile, flags=re.MULTILINE))
    named = re.compile(r"(?:`|^)make ([a-z][a-z-]*)", flags=re.MULTILINE)
    used = {
        (page.relative_to(PROJECT_ROOT).as_posix(), target)
        for page in PAGES
        for target in named.findall(page.read_text())
    }
    assert len(used) > 5
    assert sorted((page, target) for page, target in used if target not in targets) == []


def test_dated_measurements_are_only_on_the_performance_page():
    """Timings go stale; the one page `make bench` rewrites says when and where they were taken.
    Dates inside code (run dates in commands) are inputs, not measurements."""
    dated = []
    for page in PAGES:
        if page.name == "performance.md":
            continue
        prose = re.sub(r"```.*?```|`[^`]*`", "", page.read_text(), flags=re.DOTALL)
        dated += [f"{page.name}: {d}" for d in re.findall(r"\b20\d\d-\d\d-\d\d\b", prose)]
    assert dated == []


@pytest.mark.slow
def test_the_runnable_blocks_run_as_written():
    """What README.md tells a new user to type after `make demo` works, in this process's own
    ZenML store and outputs folder (tests/conftest.py), with the project's executables first on
    PATH as `uv run` puts them."""
    blocks = [(page, code) for page in PAGES for runnable, code in _shell_blocks(page) if runnable]
    assert any(page.name == "README.md" for page, _ in blocks)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    try:
        for page, code in blocks:
            for command in _commands(code):
                done = subprocess.run(
                    ["bash", "-c", command],
                    cwd=PROJECT_ROOT,
                    env=env,
                    capture_output=True,
                    text=True,
                    timeout=900,
                )
                where = f"{page.relative_to(PROJECT_ROOT)}: {command}"
                assert done.returncode == 0, f"{where}\n{done.stdout[-2000:]}{done.stderr[-2000:]}"
    finally:
        clear_stages("taxi_anomaly_detector")  # leave no staged detector to later modules
