"""The Slack edge: Bolt app, translation of payloads, Block Kit rendering and the sender.

Every `slack_bolt` / `slack_sdk` import of the project lives in this folder (docs/architecture.md,
"Four floors").
"""
