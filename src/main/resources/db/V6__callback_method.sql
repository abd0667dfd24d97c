-- Version 6: the outbox carries Image Factory's callbacks too, which are PUTs (the OS X Builder's are POSTs).
ALTER TABLE callbacks ADD COLUMN method TEXT NOT NULL DEFAULT 'POST';
