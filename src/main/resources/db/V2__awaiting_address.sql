-- Version 2: a VM whose creation has not yet reported (address wait + callback) says so, so that a
-- restart during that phase resumes it instead of losing the callback. Existing VMs are done.
ALTER TABLE vms ADD COLUMN awaiting_address INTEGER NOT NULL DEFAULT 1;
UPDATE vms SET awaiting_address = 0;
