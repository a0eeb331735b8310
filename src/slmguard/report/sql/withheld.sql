-- Per category: distinct queries (and their rows) that the minimum-count rule keeps out of the report.
SELECT category, count(*) AS queries, sum(n) AS n
FROM (
    SELECT category, qkey, count(*) AS n
    FROM log_cats
    WHERE text IS NOT NULL
    GROUP BY category, qkey
    HAVING NOT (count(*) >= {min_count} AND (count(DISTINCT user_id) >= {min_users} OR count(user_id) = 0))
) t
GROUP BY category
ORDER BY category
