-- Each report has at most one value per cell of proactive and appeals (requests' cells are held
-- to exactly one each by complete_reports).  Rows are grouped by a hash of their keys first; only
-- rows whose hash repeats are grouped by the keys themselves.
WITH repeated AS (
    SELECT 'proactive' AS tbl, hash(report_id, item, metric) AS h FROM proactive GROUP BY 2 HAVING count(*) > 1
    UNION ALL
    SELECT 'appeals', hash(report_id, proceeding, outcome) FROM appeals GROUP BY 2 HAVING count(*) > 1
)
SELECT 'proactive' AS tbl, report_id, item AS key1, metric AS key2, count(*) AS n
FROM proactive
WHERE hash(report_id, item, metric) IN (SELECT h FROM repeated WHERE tbl = 'proactive')
GROUP BY ALL HAVING count(*) > 1
UNION ALL
SELECT 'appeals', report_id, proceeding, outcome, count(*)
FROM appeals
WHERE hash(report_id, proceeding, outcome) IN (SELECT h FROM repeated WHERE tbl = 'appeals')
GROUP BY ALL HAVING count(*) > 1;
