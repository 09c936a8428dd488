"""Adaptive Card layouts (JSON templates), loaded with `importlib.resources` by `render.py`."""
