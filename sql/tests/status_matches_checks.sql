-- A report is 'ok' exactly when none of its checks failed.
SELECT r.report_id, r.status, count(c.rule) FILTER (WHERE NOT c.passed) AS failed
FROM reports AS r LEFT JOIN checks AS c USING (report_id)
GROUP BY r.report_id, r.status, r.checks_failed
HAVING (r.status = 'ok') <> (count(c.rule) FILTER (WHERE NOT c.passed) = 0)
    OR r.checks_failed <> count(c.rule) FILTER (WHERE NOT c.passed);
