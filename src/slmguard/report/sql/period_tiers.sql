-- Tier volume in the current period [cut, end) against the previous one [start, cut).
SELECT
    label AS tier,
    sum(CASE WHEN ts >= TIMESTAMP '{cut}' THEN 1 ELSE 0 END) AS current_n,
    sum(CASE WHEN ts < TIMESTAMP '{cut}' THEN 1 ELSE 0 END) AS previous_n
FROM log
WHERE ts >= TIMESTAMP '{start}' AND ts < TIMESTAMP '{end}'
GROUP BY label
ORDER BY tier NULLS LAST
