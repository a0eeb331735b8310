-- Volume by tier (safe / sensitive / unsafe) over the whole log.
SELECT label AS tier, count(*) AS n, count(DISTINCT user_id) AS users
FROM log
GROUP BY label
ORDER BY n DESC, tier NULLS LAST
