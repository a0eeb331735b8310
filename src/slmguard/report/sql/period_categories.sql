-- Category volume in the current period [cut, end) against the previous one [start, cut).
SELECT
    category,
    sum(CASE WHEN ts >= TIMESTAMP '{cut}' THEN 1 ELSE 0 END) AS current_n,
    sum(CASE WHEN ts < TIMESTAMP '{cut}' THEN 1 ELSE 0 END) AS previous_n
FROM log_cats
WHERE ts >= TIMESTAMP '{start}' AND ts < TIMESTAMP '{end}'
GROUP BY category
ORDER BY category
