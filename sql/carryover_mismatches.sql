-- Where an agency's 上年结转 (received.carried_over) this year differs from the 结转下年度继续办理
-- (carried_forward) it published the year before.  Agencies are matched by name as printed.
CREATE OR REPLACE VIEW carryover_mismatches AS
WITH cell AS (
    SELECT agency, year, category, count, report_id, source_path, source_line
    FROM requests
    WHERE applicant_type = 'total' AND category IN ('received.carried_over', 'carried_forward')
)
SELECT
    this.agency,
    this.year,
    this.count                 AS carried_over,
    prev.count                 AS carried_forward_last_year,
    this.count - prev.count    AS difference,
    this.source_path           AS source_path,
    this.source_line           AS source_line,
    prev.source_path           AS last_year_source_path,
    prev.source_line           AS last_year_source_line
FROM cell AS this
JOIN cell AS prev
  ON prev.agency = this.agency AND prev.year = this.year - 1 AND prev.category = 'carried_forward'
WHERE this.category = 'received.carried_over'
  AND coalesce(this.count, 0) <> coalesce(prev.count, 0);
