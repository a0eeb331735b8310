-- Pairs of categories flagged on the same text.
SELECT a.category AS cat_a, b.category AS cat_b, count(*) AS n
FROM log_cats a
JOIN log_cats b ON a.row_id = b.row_id AND a.category < b.category
GROUP BY a.category, b.category
ORDER BY n DESC, cat_a, cat_b
