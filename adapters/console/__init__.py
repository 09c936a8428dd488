"""The console adapter: a terminal stands in for Slack or Teams (`mentorbot chat`, the demo)."""
