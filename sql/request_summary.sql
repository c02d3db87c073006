-- One row per report: the headline numbers of section 三 (total column), side by side.
CREATE OR REPLACE VIEW request_summary AS
SELECT
    r.report_id, r.agency, r.year, r.template, r.status, r.province, r.city, r.county,
    max(q.count) FILTER (WHERE q.category = 'received.new')              AS received_new,
    max(q.count) FILTER (WHERE q.category = 'received.carried_over')     AS received_carried_over,
    max(q.count) FILTER (WHERE q.category = 'outcome.granted')           AS granted,
    max(q.count) FILTER (WHERE q.category = 'outcome.partially_granted') AS partially_granted,
    sum(q.count) FILTER (WHERE q.category LIKE 'outcome.withheld.%')     AS withheld,
    sum(q.count) FILTER (WHERE q.category LIKE 'outcome.unavailable.%')  AS unavailable,
    sum(q.count) FILTER (WHERE q.category LIKE 'outcome.not_processed.%') AS not_processed,
    max(q.count) FILTER (WHERE q.category = 'outcome.total')             AS outcome_total,
    max(q.count) FILTER (WHERE q.category = 'carried_forward')           AS carried_forward,
    r.source_path
FROM reports AS r
JOIN requests AS q USING (report_id)
WHERE q.applicant_type = 'total'
GROUP BY ALL;
