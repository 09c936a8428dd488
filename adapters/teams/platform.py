"""The Teams adapter's name for its platform, written once (every `UserRef`, `Address`,
`Identity` and `Delivery` it makes carries it), and Bot Framework's id of the Teams channel."""

PLATFORM = "teams"
CHANNEL_ID = "msteams"  # the Bot Framework channel a conversation reference names
