"""Errors that are the user's to fix: printed as one line, exit code 1."""


class UserError(Exception):
    """Bad input from the person running a command; the message says what to fix."""
