"""Experiments on the agents: comparison, statistics, reports, calibration, the demo, the vision check."""
