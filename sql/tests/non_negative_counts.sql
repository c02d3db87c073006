-- Counts of requests and appeals are never negative (a minus sign there is a misread).
SELECT 'requests' AS tbl, report_id, category AS key1, applicant_type AS key2, count FROM requests WHERE count < 0
UNION ALL
SELECT 'appeals', report_id, proceeding, outcome, count FROM appeals WHERE count < 0;
