"""The multi-task and transfer benchmark (docs/benchmark.md).

Tasks are families of quests that differ in one hidden parameter (`tasks`), scored per task
between a random agent (0) and the search agent (1) (`norms`); a versioned definition fixes
tasks, folds, seeds and budgets (`definition`). `learners` trains the compared architectures
(the shared-layer multi-task DQN of D'Eramo et al., single-task DQN, masked PPO with and
without a task id or task heads), `runner` runs the trainings locally or on Ray, `protocol`
turns runs into the AI-ON transfer and multi-task measures, `features` asks what the shared
layers hold, and `report` writes the tables and plots.
"""
