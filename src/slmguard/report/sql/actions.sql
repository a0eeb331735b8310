-- Actions the guard took (allow / caution / block) per tier.
SELECT action, label AS tier, count(*) AS n
FROM log
GROUP BY action, label
ORDER BY action NULLS LAST, tier NULLS LAST
