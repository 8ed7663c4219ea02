"""The import rules of the code base, read from the source (no import side effects).

- The domain (models, services, selectors, payloads, tasks, transports, …) never imports an
  interface: `*/api/`, `*/portal/`, `*/templatetags/`, `*/management/`, `admin`, `feeds`, `urls`.
- `exchange` (the network's plumbing) never imports `alerts` (the content), nor names one of its
  models in a lazy string reference such as `"alerts.Alert"`.
- A service (a module under `*/services/`) never imports a tasks module: tasks call services, and
  services queue work by task name through `exchange.queueing`.
- No import cycle among the project's modules (`alerts`, `exchange`, `config`), counting imports
  inside functions and under `TYPE_CHECKING`: `import_cycles()` lists each cycle once.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

APPS = ("alerts", "exchange")
PROJECT_PACKAGES = (*APPS, "config")
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
                elif is_service(module) and is_tasks(target):
                    found.append(Violation(where, line, f"service {module} imports tasks {target}: queue through exchange.queueing"))
                else:
                    reported.discard(line)
            if app == "exchange":
                for number, text in enumerate(source.splitlines(), start=1):
                    if LAZY_ALERTS_REFERENCE.search(text):
                        found.append(Violation(where, number, "exchange names an alerts model in a string reference"))
    return sorted(set(found), key=lambda v: (v.path, v.line, v.message))


def is_service(module: str) -> bool:
    return "services" in module.split(".")[1:]


def is_tasks(target: str) -> bool:
    parts = target.split(".")
    return parts[0] in APPS and "tasks" in parts[1:]


def project_modules(root: Path) -> dict[str, Path]:
    modules: dict[str, Path] = {}
    for package in PROJECT_PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            module = module_name(root, path)
            if not any(part in SKIPPED_PACKAGES for part in module.split(".")):
                modules[module] = path
    return modules


def import_graph(root: Path) -> dict[str, set[str]]:
    """Each project module and the project modules it imports (the longest module an import names)."""
    modules = project_modules(root)
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        imported: set[str] = set()
        for _, target in _imported(tree, module):
            parts = target.split(".")
            while parts and ".".join(parts) not in modules:
                parts.pop()
            if parts and ".".join(parts) != module:
                imported.add(".".join(parts))
        graph[module] = imported
    return graph


def import_cycles(root: Path) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), each as a sorted list."""
    graph = import_graph(root)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(start: str) -> None:  # iterative, so that a long chain cannot exhaust the recursion limit
        work: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                group: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    found.append(sorted(group))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return sorted(found)
