"""What the terminal takes: lines are wrapped to this many columns."""

WIDTH = 88
