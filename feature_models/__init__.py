"""Multi-task vision model that reads the game screens into Features.

``feature_models.parser.FrameParser`` (frame -> ``fgo_env.features.Features``, shipped weights in
``feature_models/weights/``); ``data`` (per-task datasets rendered from the game), ``tasks`` (tasks
and crops), ``backbone`` / ``model`` (shared ResNet + ModuleDict of heads, ``add_task``), ``loader``
(multi-dataset sampling rules), ``learner`` (``fit``), ``io`` (safetensors + JSON weights),
``baselines`` (single-task models), ``grouping`` (card groups and owners of a hand from the
``same_owner`` and ``card_owner`` heads), ``reading`` (``Reading``), ``wrappers`` (``ParsedFeatures`` env wrapper), ``evaluate``
and ``pipeline`` (behind ``fgo vision data|train|eval``). See docs/vision.md.

Layering: this package imports ``fgo_env`` only, never ``agents``. The agents that play on parsed
features (``ParsedGreedy``, ``greedy_parsed_vs_true``) and the ``fgo vision`` wiring, which
injects the greedy agent as the data policy and the greedy check, live in ``agents.cli.vision`` and ``agents.experiments.vision_check``.
"""
