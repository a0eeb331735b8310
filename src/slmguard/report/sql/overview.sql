-- The size and span of the log: one row.
SELECT
    count(*) AS rows,
    count(ts) AS rows_with_time,
    min(ts) AS first_ts,
    max(ts) AS last_ts,
    count(DISTINCT day) AS days,
    count(DISTINCT user_id) AS users,
    count(DISTINCT qkey) AS distinct_queries,
    sum(CASE WHEN text IS NULL THEN 1 ELSE 0 END) AS rows_without_text,
    sum(CASE WHEN label IS NULL THEN 1 ELSE 0 END) AS rows_without_verdict
FROM log
