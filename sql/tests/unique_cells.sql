-- Each report has at most one value per cell of each table.
SELECT 'requests' AS tbl, report_id, category AS key1, applicant_type AS key2, count(*) AS n
FROM requests GROUP BY ALL HAVING count(*) > 1
UNION ALL
SELECT 'proactive', report_id, item, metric, count(*) FROM proactive GROUP BY ALL HAVING count(*) > 1
UNION ALL
SELECT 'appeals', report_id, proceeding, outcome, count(*) FROM appeals GROUP BY ALL HAVING count(*) > 1;
