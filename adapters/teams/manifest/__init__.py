"""The Teams app package template: manifest.json and its two icons (`package.py` fills it in)."""
