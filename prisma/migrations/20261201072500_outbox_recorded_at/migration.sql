-- When the row was committed, by the database's clock (created_at is the event's own time).
-- The relay leaves rows younger than its grace to the process that committed them, which
-- puts them in the queues itself right after the commit.
ALTER TABLE "p_outbox_event" ADD COLUMN "recorded_at" TIMESTAMPTZ(3) NOT NULL DEFAULT now();
