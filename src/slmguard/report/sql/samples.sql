-- Sample queries per category for human reading: the clearest cases (highest score) among the
-- queries that pass the minimum-count rule; the rest are counted, never shown.
SELECT category, qkey, text, n, score, rnk
FROM (
    SELECT
        category,
        qkey,
        min(text) AS text,
        count(*) AS n,
        max(CASE WHEN category = 'sensitive' THEN sensitive_score ELSE unsafe_score END) AS score,
        row_number() OVER (
            PARTITION BY category
            ORDER BY max(CASE WHEN category = 'sensitive' THEN sensitive_score ELSE unsafe_score END) DESC, qkey
        ) AS rnk
    FROM log_cats
    WHERE text IS NOT NULL
    GROUP BY category, qkey
    HAVING count(*) >= {min_count} AND (count(DISTINCT user_id) >= {min_users} OR count(user_id) = 0)
) t
WHERE rnk <= {samples}
ORDER BY category, rnk
