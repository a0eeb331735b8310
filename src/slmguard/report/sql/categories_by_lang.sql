-- Volume by flagged category per language.
SELECT lang, category, count(*) AS n
FROM log_cats
GROUP BY lang, category
ORDER BY lang, n DESC, category
