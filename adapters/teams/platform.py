"""The Teams adapter's name for its platform, written once (every `UserRef`, `Address`,
`Identity` and `Delivery` it makes carries it), and Bot Framework's id of the Teams channel."""

from conversations.types import PLATFORMS, Platform

PLATFORM: Platform = PLATFORMS.teams
CHANNEL_ID = "msteams"  # the Bot Framework channel a conversation reference names
