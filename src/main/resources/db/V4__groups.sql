-- Version 4: templates, groups kept at a size, and cloud-init data on VMs. A group's members are the
-- VMs tagged infrakit.group=<name> that the group made (origin 'groups'); nothing else records
-- membership, so the database cannot disagree with itself about who belongs.
ALTER TABLE vms ADD COLUMN user_data TEXT;
ALTER TABLE vms ADD COLUMN network_config TEXT;

CREATE TABLE templates (
    name       TEXT PRIMARY KEY,
    settings   TEXT NOT NULL,              -- JSON: the VM settings (see store/BlueprintJson)
    created_at INTEGER NOT NULL,           -- epoch milliseconds
    updated_at INTEGER NOT NULL
);

CREATE TABLE groups (
    name        TEXT PRIMARY KEY,
    template    TEXT REFERENCES templates (name),  -- null: the group carries its own settings
    settings    TEXT,                               -- JSON, when template is null
    size        INTEGER,                            -- null when logical_ids says the size
    logical_ids TEXT NOT NULL DEFAULT '[]',         -- JSON array of strings
    unhealthy   TEXT NOT NULL,                      -- JSON array of VM status words that get a member replaced
    rolling     INTEGER NOT NULL DEFAULT 1,         -- 0: an update was stopped; outdated members stay
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE group_events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    group_name TEXT NOT NULL,
    at         INTEGER NOT NULL,
    message    TEXT NOT NULL
);
CREATE INDEX group_events_by_group ON group_events (group_name, id);
