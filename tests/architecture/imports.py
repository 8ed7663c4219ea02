"""The import rules of the code base, read from the source (no import side effects).

- The domain (models, services, selectors, payloads, tasks, transports, …) never imports an
  interface: `*/api/`, `*/portal/`, `*/templatetags/`, `*/management/`, `admin`, `feeds`, `urls`.
- `exchange` (the network's plumbing) never imports `alerts` (the content), nor names one of its
  models in a lazy string reference such as `"alerts.Alert"`.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

APPS = ("alerts", "exchange")
INTERFACE_PACKAGES = ("api", "portal", "templatetags", "management")
INTERFACE_MODULES = ("admin", "feeds", "urls")
SKIPPED_PACKAGES = ("migrations",)
LAZY_ALERTS_REFERENCE = re.compile(r"""["']alerts\.[A-Z]\w*["']""")


@dataclass(frozen=True)
class Violation:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_interface(module: str) -> bool:
    parts = module.split(".")
    return any(part in INTERFACE_PACKAGES for part in parts[1:]) or parts[-1] in INTERFACE_MODULES


def _imported(tree: ast.AST, module: str) -> Iterator[tuple[int, str]]:
    """(line, module) for every import, wherever it is (function-local imports included)."""
    package = module.split(".")
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the importing module's package
                base = package[: len(package) - node.level] if len(package) > node.level else package[:1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            yield node.lineno, target
            if not is_interface(target):  # `from alerts import api` imports alerts.api
                for alias in node.names:
                    yield node.lineno, f"{target}.{alias.name}"


def violations(root: Path) -> list[Violation]:
    found: list[Violation] = []
    for app in APPS:
        for path in sorted((root / app).rglob("*.py")):
            module = module_name(root, path)
            if any(part in SKIPPED_PACKAGES for part in module.split(".")):
                continue
            source = path.read_text(encoding="utf-8")
            tree = ast.parse(source, filename=str(path))
            where = str(path.relative_to(root))
            reported: set[int] = set()
            for line, target in _imported(tree, module):
                if line in reported:  # one finding per import statement
                    continue
                reported.add(line)
                head = target.split(".")[0]
                if app == "exchange" and head == "alerts":
                    found.append(Violation(where, line, f"exchange imports {target}: exchange never imports alerts"))
                elif head in APPS and is_interface(target) and not is_interface(module):
                    found.append(Violation(where, line, f"domain module {module} imports interface {target}"))
                else:
                    reported.discard(line)
            if app == "exchange":
                for number, text in enumerate(source.splitlines(), start=1):
                    if LAZY_ALERTS_REFERENCE.search(text):
                        found.append(Violation(where, number, "exchange names an alerts model in a string reference"))
    return sorted(set(found), key=lambda v: (v.path, v.line, v.message))
