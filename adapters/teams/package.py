"""The Teams app package an admin uploads: manifest.json with the app id, plus two icons, zipped.

The manifest template (`manifest/manifest.json`, schema 1.17) holds `<PLACEHOLDER>` values; this
module sets each field by its key path — never by string replacement — and refuses to write a
package in which any placeholder is left.
"""

from __future__ import annotations

import json
import re
import uuid
import zipfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

ICONS = ("color.png", "outline.png")
_PLACEHOLDER = re.compile(r"^<[A-Z_]+>$")
_FIXED_TIME = (2024, 1, 1, 0, 0, 0)  # zip entry times: the same inputs give the same bytes


class PackageError(ValueError):
    """The package cannot be built as asked; the message says what to change."""


@dataclass(frozen=True)
class Publisher:
    """Who publishes the app (Teams shows it on the app's page; URLs must be https)."""

    name: str = "Your company"
    website_url: str = "https://example.com/mentoring"
    privacy_url: str = "https://example.com/mentoring/privacy"
    terms_url: str = "https://example.com/mentoring/terms"


def _template() -> dict[str, Any]:
    text = resources.files("adapters.teams.manifest").joinpath("manifest.json").read_text("utf-8")
    manifest: dict[str, Any] = json.loads(text)
    return manifest


def _placeholders(value: Any, path: str = "") -> list[str]:
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _placeholders(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _placeholders(v, f"{path}[{i}]")]
    return [path.lstrip(".")] if isinstance(value, str) and _PLACEHOLDER.match(value) else []


def build_manifest(app_id: str, publisher: Publisher | None = None) -> dict[str, Any]:
    """The manifest for the Azure Bot registration `app_id` (a GUID)."""
    try:
        app_id = str(uuid.UUID(app_id.strip()))
    except ValueError:
        raise PackageError(
            f"--app-id: {app_id!r} is not a GUID; use the Microsoft App ID of your Azure Bot"
        ) from None
    publisher = publisher or Publisher()
    for url in (publisher.website_url, publisher.privacy_url, publisher.terms_url):
        if not url.startswith("https://"):
            raise PackageError(f"{url!r}: Teams requires https URLs for the publisher")
    manifest = _template()
    manifest["id"] = app_id
    for bot in manifest["bots"]:
        bot["botId"] = app_id
    manifest["developer"] = {
        "name": publisher.name,
        "websiteUrl": publisher.website_url,
        "privacyUrl": publisher.privacy_url,
        "termsOfUseUrl": publisher.terms_url,
    }
    left = _placeholders(manifest)
    if left:
        raise PackageError(f"manifest template still has placeholders at {', '.join(left)}")
    return manifest


def write_package(app_id: str, out_path: Path, publisher: Publisher | None = None) -> Path:
    """Write the zip Teams accepts (manifest.json and the icons at the top level)."""
    manifest = build_manifest(app_id, publisher)
    files = resources.files("adapters.teams.manifest")
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out_path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        entries = [("manifest.json", (json.dumps(manifest, indent=2) + "\n").encode())]
        entries += [(name, files.joinpath(name).read_bytes()) for name in ICONS]
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return out_path
