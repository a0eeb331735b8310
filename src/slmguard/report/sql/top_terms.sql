-- The most frequent terms per category (a term counts once per text), under the minimum-count rule.
SELECT category, term, n, users, rnk
FROM (
    SELECT
        c.category,
        t.term,
        count(*) AS n,
        count(DISTINCT t.user_id) AS users,
        row_number() OVER (PARTITION BY c.category ORDER BY count(*) DESC, t.term) AS rnk
    FROM log_cats c
    JOIN log_terms t ON c.row_id = t.row_id
    GROUP BY c.category, t.term
    HAVING count(*) >= {min_count} AND (count(DISTINCT t.user_id) >= {min_users} OR count(t.user_id) = 0)
) x
WHERE rnk <= {top_terms}
ORDER BY category, rnk
