"""``{% admin_preview_assets %}``: the script and style sheets of the admin's card preview, the Vite entry
``src/admin/preview.tsx``, looked up in the build's manifest (``frontend/dist/.vite/manifest.json``)."""

from __future__ import annotations

import json
from typing import Any

from django import template
from django.conf import settings
from django.templatetags.static import static
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

register = template.Library()

ENTRY = "src/admin/preview.tsx"


def _css(manifest: dict[str, Any], key: str, seen: set[str]) -> list[str]:
    if key in seen or key not in manifest:
        return []
    seen.add(key)
    chunk = manifest[key]
    out = list(chunk.get("css", []))
    for imported in chunk.get("imports", []):
        out += _css(manifest, imported, seen)
    return out


@register.simple_tag
def admin_preview_assets() -> SafeString:
    path = settings.FRONTEND_DIST / ".vite" / "manifest.json"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        entry = manifest[ENTRY]
    except (OSError, ValueError, KeyError):
        return format_html(
            '<p class="errornote">The preview is not built: run <code>cd frontend && npm run build</code>.</p>'
        )
    sheets = dict.fromkeys(_css(manifest, ENTRY, set()))
    links = format_html_join("", '<link rel="stylesheet" href="{}">', ((static(c),) for c in sheets))
    return format_html('{}<script type="module" src="{}"></script>', links, static(entry["file"]))
