-- Version 1: VMs and the callback outbox.
CREATE TABLE vms (
    id                  TEXT PRIMARY KEY,
    name                TEXT UNIQUE,
    image_url           TEXT NOT NULL,
    image_checksum      TEXT NOT NULL,
    image_checksum_type TEXT NOT NULL,
    cpus                INTEGER NOT NULL,
    memory_mib          INTEGER NOT NULL,
    network_type        TEXT NOT NULL,
    gui                 INTEGER NOT NULL,
    tools_init_timeout  INTEGER NOT NULL,
    callback_url        TEXT,
    dialect             TEXT NOT NULL,
    mac                 TEXT NOT NULL UNIQUE,
    status              TEXT NOT NULL,
    ip_address          TEXT NOT NULL DEFAULT '',
    guest_os            TEXT NOT NULL DEFAULT '',
    vnc                 TEXT,
    error_code          TEXT,
    error_message       TEXT,
    created_at          INTEGER NOT NULL, -- epoch milliseconds
    requested_cpus      INTEGER,
    requested_memory_mib INTEGER
);

CREATE TABLE callbacks (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    vm_id           TEXT NOT NULL,
    url             TEXT NOT NULL,
    body            TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    give_up_at      INTEGER NOT NULL,
    state           TEXT NOT NULL DEFAULT 'pending', -- pending, delivered, abandoned
    last_error      TEXT
);
CREATE INDEX callbacks_due ON callbacks (state, next_attempt_at);
