-- Volume per hour of day (UTC) and tier, summed over all days.
SELECT hour, label AS tier, count(*) AS n
FROM log
WHERE hour IS NOT NULL
GROUP BY hour, label
ORDER BY hour, tier NULLS LAST
