"""Every exercise family module; importing this package registers them all (each module in this
folder is imported, and its ``@register`` classes add themselves to the registry)."""

import importlib
import pkgutil

for _mod in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    importlib.import_module(f"{__name__}.{_mod}")
