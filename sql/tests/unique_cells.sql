-- Each report has at most one value per cell of each table.
-- Grouping millions of rows by three strings is the costliest test, so the rows are grouped by a
-- hash of their keys first; only rows whose hash repeats are grouped by the keys themselves.
WITH repeated AS (
    SELECT 'requests' AS tbl, hash(report_id, category, applicant_type) AS h FROM requests
    GROUP BY h HAVING count(*) > 1
    UNION ALL
    SELECT 'proactive', hash(report_id, item, metric) FROM proactive GROUP BY 2 HAVING count(*) > 1
    UNION ALL
    SELECT 'appeals', hash(report_id, proceeding, outcome) FROM appeals GROUP BY 2 HAVING count(*) > 1
)
SELECT 'requests' AS tbl, report_id, category AS key1, applicant_type AS key2, count(*) AS n
FROM requests
WHERE hash(report_id, category, applicant_type) IN (SELECT h FROM repeated WHERE tbl = 'requests')
GROUP BY ALL HAVING count(*) > 1
UNION ALL
SELECT 'proactive', report_id, item, metric, count(*)
FROM proactive
WHERE hash(report_id, item, metric) IN (SELECT h FROM repeated WHERE tbl = 'proactive')
GROUP BY ALL HAVING count(*) > 1
UNION ALL
SELECT 'appeals', report_id, proceeding, outcome, count(*)
FROM appeals
WHERE hash(report_id, proceeding, outcome) IN (SELECT h FROM repeated WHERE tbl = 'appeals')
GROUP BY ALL HAVING count(*) > 1;
