"""The admin dashboard: `/admin`, its login and logout, the export and chart (docs/dashboard.md).

`routes.add_dashboard_routes(app, bot)` is all `bot.server` needs; `auth.ChatLinks` makes the
single-use links that the admin `dashboard` and `export` commands send.
"""
