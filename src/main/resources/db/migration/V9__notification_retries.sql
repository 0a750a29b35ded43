-- Notifications are retried until delivered or until alerting.give_up_after (issue 20, item 9): a row
-- that failed waits, unclaimed, until next_attempt_at, and the rows behind it in its lane wait with it
-- (order per notifier). claim_token names one claim: extend, done and retry_later change a row only
-- while the replica that calls them still holds that very claim (item 10), so a replica whose lease
-- ran out during a long attempt cannot delete or release the row another replica took over.
ALTER TABLE notifications ADD COLUMN next_attempt_at TIMESTAMP(6) WITH TIME ZONE;
ALTER TABLE notifications ADD COLUMN claim_token VARCHAR(64);
