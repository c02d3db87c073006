-- Every report has each of the seven applicant columns exactly once for each category of
-- requests, and all 15 appeals cells.  Seven rows whose applicant columns, as bits, make all
-- seven bits are the seven columns once each (fewer bits would need more rows), so this is also
-- the uniqueness test of requests' cells: one pass over the largest table instead of two.
SELECT report_id, 'requests:' || category AS what, count(*) AS cells
FROM requests
GROUP BY report_id, category
HAVING count(*) <> 7
    OR bit_or(1 << CASE applicant_type
        WHEN 'natural_person' THEN 0
        WHEN 'commercial_enterprise' THEN 1
        WHEN 'research_institution' THEN 2
        WHEN 'social_welfare_org' THEN 3
        WHEN 'legal_service_org' THEN 4
        WHEN 'other_org' THEN 5
        WHEN 'total' THEN 6
    END) IS DISTINCT FROM 127
UNION ALL
SELECT report_id, 'appeals', count(*) FROM appeals GROUP BY report_id HAVING count(*) <> 15
UNION ALL
SELECT r.report_id, 'no requests rows', 0 FROM reports AS r ANTI JOIN requests AS q USING (report_id);
