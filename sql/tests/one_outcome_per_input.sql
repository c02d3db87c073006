-- No input is counted twice: a source file is a report or a reject, never both, never two reports.
SELECT source_path, count(*) AS n FROM (
    SELECT source_path FROM reports UNION ALL SELECT source_path FROM rejects
) GROUP BY source_path HAVING count(*) > 1;
