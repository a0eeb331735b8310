-- The most recurring queries per category, under the same minimum-count rule as top_queries.
SELECT category, qkey, text, n, users, rnk
FROM (
    SELECT
        category,
        qkey,
        min(text) AS text,
        count(*) AS n,
        count(DISTINCT user_id) AS users,
        row_number() OVER (PARTITION BY category ORDER BY count(*) DESC, qkey) AS rnk
    FROM log_cats
    WHERE text IS NOT NULL
    GROUP BY category, qkey
    HAVING count(*) >= {min_count} AND (count(DISTINCT user_id) >= {min_users} OR count(user_id) = 0)
) t
WHERE rnk <= {top}
ORDER BY category, rnk
