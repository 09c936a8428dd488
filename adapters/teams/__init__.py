"""The Microsoft Teams adapter (Bot Framework, botbuilder 4.17).

Every `botbuilder`/`botframework` import of the project lives in this folder (docs/architecture.md,
"Four floors"), so a
move to the Microsoft 365 Agents SDK stays a one-folder change. `render.py`, `translate.py` and
`package.py` are pure; `activities.py`, `sender.py`, `turn.py`, `endpoint.py` and `auth.py` use
the SDK.
"""
