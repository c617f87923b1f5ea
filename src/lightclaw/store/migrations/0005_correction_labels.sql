-- 0005: the correction metrics have one definition (lightclaw.verify.corrections, docs/metrics.md),
-- applied once per episode when it is judged and copied into step columns that the metrics only
-- count: correction_attempted (a feedback event -- a runtime-error step that is not its episode's
-- last -- and whether a later step corrects it; NULL on other steps), correction_ok (a correction's
-- recovery success) and over_correction (both set on every correction step).
-- Rows stored before this migration are relabelled here under the same definition, from the step
-- verdicts (judged_correct) and episode success they already hold. The runtime error types are
-- those of SPEC §2 when this migration was written.
ALTER TABLE steps ADD COLUMN correction_attempted INTEGER;
CREATE INDEX steps_0005 ON steps (episode_id, idx);
UPDATE steps SET correction_attempted = CASE
    WHEN error_type IN ('gui_miss', 'invalid_format', 'max_steps', 'model_error', 'policy_blocked',
                        'redundant_call', 'timeout', 'tool_error', 'unknown_tool', 'wrong_args')
         AND EXISTS (SELECT 1 FROM steps AS later
                     WHERE later.episode_id = steps.episode_id AND later.idx > steps.idx)
    THEN EXISTS (SELECT 1 FROM steps AS later
                 WHERE later.episode_id = steps.episode_id AND later.idx > steps.idx
                   AND later.correction_of = steps.idx)
END;
UPDATE steps SET
    correction_ok = coalesce(
        coalesce(error_type NOT IN ('gui_miss', 'invalid_format', 'max_steps', 'model_error',
                                    'policy_blocked', 'redundant_call', 'timeout', 'tool_error',
                                    'unknown_tool', 'wrong_args'), 1)
        AND (judged_correct = 1
             OR (judged_correct IS NULL
                 AND (SELECT success FROM episodes WHERE episodes.id = steps.episode_id) = 1)),
        0),
    over_correction = coalesce(over_correction, 0)
WHERE correction_of IS NOT NULL;
DROP INDEX steps_0005;
