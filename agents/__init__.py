"""Agents: scripted, search and learning agents for fgo_env."""
