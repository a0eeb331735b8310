-- Volume per day and flagged category.
SELECT day, category, count(*) AS n
FROM log_cats
WHERE day IS NOT NULL
GROUP BY day, category
ORDER BY day, category
