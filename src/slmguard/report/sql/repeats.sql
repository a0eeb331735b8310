-- Repeat queries: the same text (case and outer spaces ignored) asked more than once.
SELECT
    count(*) AS distinct_queries,
    sum(CASE WHEN n > 1 THEN 1 ELSE 0 END) AS repeated_queries,
    sum(CASE WHEN n > 1 THEN n ELSE 0 END) AS rows_in_repeats,
    max(n) AS max_repeats
FROM (SELECT qkey, count(*) AS n FROM log WHERE qkey IS NOT NULL GROUP BY qkey) q
