-- Score distributions in {bins} equal bins over [0, 1].
SELECT score, bin, count(*) AS n
FROM (
    SELECT 'unsafe' AS score, LEAST(CAST(floor(unsafe_score * {bins}) AS INT), {bins} - 1) AS bin
    FROM log WHERE unsafe_score IS NOT NULL
    UNION ALL
    SELECT 'sensitive' AS score, LEAST(CAST(floor(sensitive_score * {bins}) AS INT), {bins} - 1) AS bin
    FROM log WHERE sensitive_score IS NOT NULL
) s
GROUP BY score, bin
ORDER BY score, bin
