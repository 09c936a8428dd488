"""Fixtures shared by every test folder: the databases (`db_url`, `store`, …)."""

from tests.dbfixtures import *  # noqa: F403
