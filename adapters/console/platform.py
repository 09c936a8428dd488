"""The console adapter's name for its platform and its one tenant, written once."""

PLATFORM = "console"
TENANT = "local"
