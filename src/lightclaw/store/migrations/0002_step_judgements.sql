-- 0002: per-step verifier judgements (judged at collection time from the task's ground truth),
-- copied out of the step records so correction metrics are SQL aggregates.
ALTER TABLE steps ADD COLUMN judged_correct INTEGER;
ALTER TABLE steps ADD COLUMN over_correction INTEGER;
ALTER TABLE steps ADD COLUMN correction_ok INTEGER;
