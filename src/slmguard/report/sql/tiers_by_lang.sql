-- Volume by tier per language.
SELECT lang, label AS tier, count(*) AS n
FROM log
GROUP BY lang, label
ORDER BY lang, tier NULLS LAST
