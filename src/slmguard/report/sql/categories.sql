-- Volume by flagged category (a text flagged for two categories counts in both).
SELECT category, count(*) AS n, count(DISTINCT user_id) AS users
FROM log_cats
GROUP BY category
ORDER BY n DESC, category
