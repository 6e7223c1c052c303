"""The battle engine: pure game rules over batches of game records (no Gymnasium, no pygame).

- `state`: the record layout (`STATE_DTYPE`), static quest tables and dynamic state in one row.
- `setup`: writes a content quest into a record.
- `rules`: the rules, compiled with numba, one game at a time.
- `batch`: step / reset / observe kernels over a whole batch.
- `formulas`: damage, NP gain, star drop, crit chance as small pure functions.
- `rng`: counter-based randomness keyed by (seed, turn, purpose, index).
- `actions`: the flat action table.
- `observe`: the documented observation vector.
"""

from ._numba_cache import configure as _configure_cache

NUMBA_CACHE = _configure_cache()  # before any submodule defines a cached function
