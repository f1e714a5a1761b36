"""The private names of the functions an engine registers on its database connection where
the database's own differ from the language (math.fsum, full case mapping, exact partial
sums for population values). The SQL backend writes calls to them (builtins.py re-exports
them there) and the engines register them; this module imports nothing, so an engine that
took its query's text from the cache (engines/sql_cache.py) finds which ones it calls without
loading the language's builtins.
"""

EXACT_SUM = "__segdsl_fsum"      # an array of numbers → math.fsum of those not null (exact)
FULL_UPPER = "__segdsl_upper"    # str.upper: full case mapping (ß → SS)
FULL_LOWER = "__segdsl_lower"    # str.lower: full case mapping (final sigma, İ → i̇)
# Population values (backends/population_sql.py), defined in runtime/exact.py:
EXACT_PARTIALS = "__segdsl_partials"   # an array of numbers → an exact, shorter array with the same exact sum
EXACT_CUME = "__segdsl_cume"           # [v1, c1, v2, c2, ...] of one group → cume_share of each v, ascending
# ... and over buckets of consecutive values, where one group's distinct values are too many
# for one call (the Spark engine, which registers these):
EXACT_PAIR_PARTIALS = "__segdsl_pair_partials"   # [v1, c1, ...] → an exact expansion of c1·v1 + c2·v2 + ...
EXACT_CUME_ABOVE = "__segdsl_cume_above"   # ([v1, c1, ...], expansion of the sum above, total) → shares, ascending
# ... and where the engine's function works on whole arrays (the DuckDB engine's, numpy:
# runtime/exact_arrays.py), sums and means of numbers are taken from the distinct values and
# their counts, not one value per customer:
EXACT_PAIR_ARRAYS = "__segdsl_pair_arrays"   # as EXACT_PAIR_PARTIALS
