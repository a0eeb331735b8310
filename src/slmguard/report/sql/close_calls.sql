-- Close calls: decisions whose score lies within {margin} of its tier threshold, per action.
SELECT
    action,
    count(*) AS n,
    sum(CASE WHEN abs(unsafe_score - {unsafe_threshold}) < {margin} THEN 1 ELSE 0 END) AS unsafe_close,
    sum(CASE WHEN abs(sensitive_score - {sensitive_threshold}) < {margin} THEN 1 ELSE 0 END) AS sensitive_close
FROM log
GROUP BY action
ORDER BY action NULLS LAST
