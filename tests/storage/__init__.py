"""Storage tests: run on every database `tests/dbfixtures.py` provides (via tests/conftest.py)."""
