-- Every identity or reading that failed, with the report it belongs to: the audit worklist.
CREATE OR REPLACE VIEW failed_checks AS
SELECT r.agency, r.year, r.status, c.rule, c.scope, c.expected, c.actual, c.note, r.source_path, r.report_id
FROM checks AS c
JOIN reports AS r USING (report_id)
WHERE NOT c.passed;
