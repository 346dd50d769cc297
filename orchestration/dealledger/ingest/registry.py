"""Every layout dealledger knows: the built-in YAML files in the package plus the user's mappings.

The built-in files define the raw tables (so the set of tables and Dagster assets is fixed); user
mappings in `$DEALLEDGER_HOME/mappings/*.yml` add file specs to those tables and are checked first.
Files are loaded once and validated; a mapping folder is re-read only when one of its files changes.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from dealledger.ingest.spec import ExportLayout, FileSpec, LayoutConfigError, load_layout_file

BUILTIN_DIR = Path(__file__).parent / "layouts"
# The order is the order of LAYOUTS (and of detection among equally good built-in specs).
BUILTIN_FILES = ("crm.yml", "billing.yml", "salesforce.yml", "hubspot.yml", "quickbooks.yml", "stripe.yml", "ubl.yml")


@dataclass(frozen=True)
class Registry:
    layouts: tuple[ExportLayout, ...]
    specs: tuple[FileSpec, ...]  # user mappings first, then built-in, each in file order

    def layout(self, kind: str) -> ExportLayout:
        for layout in self.layouts:
            if layout.kind == kind:
                return layout
        raise KeyError(kind)

    def specs_for(self, kind: str) -> list[FileSpec]:
        return [spec for spec in self.specs if spec.kind == kind]

    def specs_for_name(self, name: str) -> list[FileSpec]:
        return [spec for spec in self.specs if spec.matches_name(name)]


@lru_cache(maxsize=1)
def builtin_registry() -> Registry:
    layouts: list[ExportLayout] = []
    specs: list[FileSpec] = []
    for name in BUILTIN_FILES:
        layout_file = load_layout_file(BUILTIN_DIR / name)
        layouts.extend(layout_file.layouts)
        specs.extend(layout_file.specs)
    kinds = [layout.kind for layout in layouts]
    duplicates = sorted({kind for kind in kinds if kinds.count(kind) > 1})
    if duplicates:
        raise LayoutConfigError(f"{BUILTIN_DIR}: tables defined twice: {', '.join(duplicates)}")
    by_kind = set(kinds)
    for layout in layouts:
        if layout.loaded_with and layout.loaded_with not in by_kind:
            raise LayoutConfigError(f"{layout.raw_table}: loaded_with names an unknown table {layout.loaded_with}")
    return Registry(tuple(layouts), tuple(specs))


def load_mappings(mappings_dir: Path, base: Registry) -> tuple[FileSpec, ...]:
    """The file specs of every `*.yml` / `*.yaml` in the folder, validated against the built-in tables."""
    known = {layout.kind: layout for layout in base.layouts}
    specs: list[FileSpec] = []
    for path in sorted([*mappings_dir.glob("*.yml"), *mappings_dir.glob("*.yaml")]):
        specs.extend(load_layout_file(path, user=True, known=known).specs)
    return tuple(specs)


_cache_lock = threading.Lock()
_cache: dict[Path, tuple[tuple, Registry]] = {}


def _signature(mappings_dir: Path) -> tuple:
    if not mappings_dir.is_dir():
        return ()
    files = sorted([*mappings_dir.glob("*.yml"), *mappings_dir.glob("*.yaml")])
    return tuple((path.name, path.stat().st_mtime_ns, path.stat().st_size) for path in files)


def default_mappings_dir() -> Path:
    from dealledger.settings import load_settings

    return load_settings().home / "mappings"


def registry_for(mappings_dir: Path | None = None) -> Registry:
    """Built-in layouts plus the user mappings in `mappings_dir` (default `$DEALLEDGER_HOME/mappings`)."""
    base = builtin_registry()
    folder = (mappings_dir or default_mappings_dir()).resolve()
    signature = _signature(folder)
    if not signature:
        return base
    with _cache_lock:
        cached = _cache.get(folder)
        if cached is not None and cached[0] == signature:
            return cached[1]
        registry = Registry(base.layouts, load_mappings(folder, base) + base.specs)
        _cache[folder] = (signature, registry)
        return registry
