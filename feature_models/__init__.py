"""Multi-task vision model that reads the game screens into Features."""
