"""The console adapter's name for its platform and its one tenant, written once."""

from conversations.types import PLATFORMS, Platform

PLATFORM: Platform = PLATFORMS.console
TENANT = "local"
