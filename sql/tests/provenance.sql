-- Every printed number traces to a file and a line, parsed by a known parser in a known run.
SELECT 'requests' AS tbl, report_id, category AS key1, applicant_type AS key2 FROM requests
WHERE source_path IS NULL OR source_sha256 IS NULL OR parser_version IS NULL OR run_id IS NULL
   OR (raw <> '' AND source_line IS NULL)
UNION ALL
SELECT 'proactive', report_id, item, metric FROM proactive
WHERE source_path IS NULL OR source_sha256 IS NULL OR parser_version IS NULL OR run_id IS NULL
   OR (raw <> '' AND source_line IS NULL)
UNION ALL
SELECT 'appeals', report_id, proceeding, outcome FROM appeals
WHERE source_path IS NULL OR source_sha256 IS NULL OR parser_version IS NULL OR run_id IS NULL
   OR (raw <> '' AND source_line IS NULL);
