"""The Slack adapter's name for its platform, written once: every `UserRef`, `Address`,
`Identity` and `Delivery` it makes carries it."""

PLATFORM = "slack"
