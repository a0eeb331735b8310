-- The most recurring queries overall; only those asked at least {min_count} times by at least
-- {min_users} users (or {min_count} times when the log has no user ids) may be shown.
SELECT
    qkey,
    min(text) AS text,
    count(*) AS n,
    count(DISTINCT user_id) AS users,
    max(CASE WHEN label = 'unsafe' THEN 2 WHEN label = 'sensitive' THEN 1 ELSE 0 END) AS severity
FROM log
WHERE text IS NOT NULL
GROUP BY qkey
HAVING count(*) >= {min_count} AND (count(DISTINCT user_id) >= {min_users} OR count(user_id) = 0)
ORDER BY n DESC, qkey
LIMIT {top}
