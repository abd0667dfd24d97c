-- Version 7: how a VM's machine first started: 'warm' (restored from a memory template of its image),
-- 'cold' (booted), '' while it is being created (and for VMs made before warm starts existed).
ALTER TABLE vms ADD COLUMN start_kind TEXT NOT NULL DEFAULT '';
