-- DuckDB: the tables every aggregation query reads. {src} is the normalised log, {verdicts} the
-- classifier's side parts (or an empty table), joined on row_id; verdicts already in the log win.
CREATE OR REPLACE TABLE log AS
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
    coalesce(n.flagged, v.flagged, CAST([] AS VARCHAR[])) AS flagged
FROM {src} n
LEFT JOIN {verdicts} v ON n.row_id = v.row_id;

-- One row per (text, flagged category); a non-safe text with no category counts as 'unspecified'.
CREATE OR REPLACE TABLE log_cats AS
SELECT row_id, ts, day, user_id, lang, label, text, qkey, unsafe_score, sensitive_score, category
FROM (
    SELECT *, unnest(CASE WHEN len(flagged) = 0 AND label IN ('unsafe', 'sensitive')
                          THEN ['unspecified'] ELSE flagged END) AS category
    FROM log
) c;

-- Distinct terms of each flagged text (letters and digits, lower case, two characters or more).
CREATE OR REPLACE TABLE log_terms AS
SELECT DISTINCT row_id, user_id, term
FROM (
    SELECT row_id, user_id, unnest(regexp_split_to_array(lower(text), '[^\p{L}\p{N}]+')) AS term
    FROM log
    WHERE text IS NOT NULL AND row_id IN (SELECT row_id FROM log_cats)
) t
WHERE length(term) >= 2 AND NOT regexp_matches(term, '^[0-9]+$') AND term NOT IN (SELECT word FROM stopwords)
