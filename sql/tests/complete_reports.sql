-- Every report has each of the seven applicant columns exactly once for each category of
-- requests, and all 15 appeals cells.  Seven rows whose applicant columns, as bits (bit k for
-- the k-th column, 1 to 7; none for a text that is no column), make all seven bits are the seven
-- columns once each (fewer bits would need more rows), so this is also the uniqueness test of
-- requests' cells: one pass over the largest table instead of two.  The column's place in a
-- list, not a CASE of seven comparisons: the test took 0.9 of the time.
SELECT report_id, 'requests:' || category AS what, count(*) AS cells
FROM requests
GROUP BY report_id, category
HAVING count(*) <> 7
    OR bit_or(1 << list_position(
        ['natural_person', 'commercial_enterprise', 'research_institution', 'social_welfare_org',
         'legal_service_org', 'other_org', 'total'],
        applicant_type
    )) IS DISTINCT FROM 254
UNION ALL
SELECT report_id, 'appeals', count(*) FROM appeals GROUP BY report_id HAVING count(*) <> 15
UNION ALL
SELECT r.report_id, 'no requests rows', 0 FROM reports AS r ANTI JOIN requests AS q USING (report_id);
