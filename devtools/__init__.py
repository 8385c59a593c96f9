"""Helpers of dev.py; standard library only."""
