-- Spark SQL: the same tables as views_duckdb.sql, from the views `src` and `verdicts`.
CREATE OR REPLACE TEMPORARY VIEW log AS
SELECT
    n.row_id,
    n.ts,
    CAST(n.ts AS DATE) AS day,
    EXTRACT(HOUR FROM n.ts) AS hour,
    n.user_id,
    coalesce(n.lang, v.lang, 'unknown') AS lang,
    n.text,
    coalesce(lower(trim(n.text)), n.text_sha256) AS qkey,
    coalesce(n.label, v.label) AS label,
    coalesce(n.action, v.action) AS action,
    coalesce(n.unsafe_score, v.unsafe_score) AS unsafe_score,
    coalesce(n.sensitive_score, v.sensitive_score) AS sensitive_score,
    coalesce(n.flagged, v.flagged, CAST(array() AS ARRAY<STRING>)) AS flagged
FROM src n
LEFT JOIN verdicts v ON n.row_id = v.row_id;

CREATE OR REPLACE TEMPORARY VIEW log_cats AS
SELECT row_id, ts, day, user_id, lang, label, text, qkey, unsafe_score, sensitive_score, category
FROM log
LATERAL VIEW explode(CASE WHEN size(flagged) = 0 AND label IN ('unsafe', 'sensitive')
                          THEN array('unspecified') ELSE flagged END) c AS category;

CREATE OR REPLACE TEMPORARY VIEW log_terms AS
SELECT DISTINCT row_id, user_id, term
FROM (
    SELECT row_id, user_id, explode(split(lower(text), '[^\\p{L}\\p{N}]+')) AS term
    FROM log
    WHERE text IS NOT NULL AND row_id IN (SELECT row_id FROM log_cats)
) t
WHERE length(term) >= 2 AND NOT term RLIKE '^[0-9]+$' AND term NOT IN (SELECT word FROM stopwords)
