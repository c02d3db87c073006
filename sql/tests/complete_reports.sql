-- Every report has all seven applicant columns for each category, and all 15 appeals cells.
SELECT report_id, 'requests:' || category AS what, count(*) AS cells
FROM requests GROUP BY report_id, category HAVING count(*) <> 7
UNION ALL
SELECT report_id, 'appeals', count(*) FROM appeals GROUP BY report_id HAVING count(*) <> 15
UNION ALL
SELECT r.report_id, 'no requests rows', 0 FROM reports AS r ANTI JOIN requests AS q USING (report_id);
