"""In-memory implementations of every storage port, one class per port (see tests/fakes.py)."""
