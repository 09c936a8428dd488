"""The Slack adapter's name for its platform, written once: every `UserRef`, `Address`,
`Identity` and `Delivery` it makes carries it."""

from conversations.types import PLATFORMS, Platform

PLATFORM: Platform = PLATFORMS.slack
