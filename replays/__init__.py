"""Replays: recorded episodes, exact re-simulation and offline evaluation."""
