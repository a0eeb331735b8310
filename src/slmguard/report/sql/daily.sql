-- Volume per day and tier (rows without a usable timestamp are left out).
SELECT day, label AS tier, count(*) AS n
FROM log
WHERE day IS NOT NULL
GROUP BY day, label
ORDER BY day, tier NULLS LAST
