-- Version 3: the model every face shares. A VM has a boot source (image, network install or its own
-- disks), any number of NICs (each on a named network, with its own MAC), blank disks, tags and the
-- face that made it; networks and operations are persisted. Existing VMs keep everything: their image
-- becomes an image boot source, their network_type and MAC their one NIC on the built-in network of
-- that name. SQLite cannot drop NOT NULL from image_url, so the table is rebuilt.
CREATE TABLE vms_v3 (
    id                   TEXT PRIMARY KEY,
    name                 TEXT UNIQUE,
    tags                 TEXT NOT NULL DEFAULT '{}',   -- JSON object of strings
    origin               TEXT NOT NULL DEFAULT 'vms',
    boot                 TEXT NOT NULL,                -- JSON {"kind": "image"|"install"|"disk", ...}
    cpus                 INTEGER NOT NULL,
    memory_mib           INTEGER NOT NULL,
    requested_cpus       INTEGER,
    requested_memory_mib INTEGER,
    disks                TEXT NOT NULL DEFAULT '[]',   -- JSON array of blank disk sizes in GiB
    nics                 TEXT NOT NULL DEFAULT '[]',   -- JSON array of {"network", "mac"}
    gui                  INTEGER NOT NULL,
    tools_init_timeout   INTEGER NOT NULL,
    callback_url         TEXT,
    dialect              TEXT NOT NULL,
    status               TEXT NOT NULL,
    ip_address           TEXT NOT NULL DEFAULT '',
    guest_os             TEXT NOT NULL DEFAULT '',
    vnc                  TEXT,
    error_code           TEXT,
    error_message        TEXT,
    created_at           INTEGER NOT NULL, -- epoch milliseconds
    awaiting_address     INTEGER NOT NULL DEFAULT 1
);

INSERT INTO vms_v3 (id, name, tags, origin, boot, cpus, memory_mib, requested_cpus, requested_memory_mib, disks, nics,
                    gui, tools_init_timeout, callback_url, dialect, status, ip_address, guest_os, vnc, error_code,
                    error_message, created_at, awaiting_address)
SELECT id, name, '{}', 'vms',
       json_object('kind', 'image', 'url', image_url, 'checksum', image_checksum, 'checksum_type', image_checksum_type),
       cpus, memory_mib, requested_cpus, requested_memory_mib, '[]',
       json_array(json_object('network', network_type, 'mac', mac)),
       gui, tools_init_timeout, callback_url, dialect, status, ip_address, guest_os, vnc, error_code,
       error_message, created_at, awaiting_address
FROM vms;

DROP TABLE vms;
ALTER TABLE vms_v3 RENAME TO vms;
CREATE INDEX vms_created ON vms (created_at);

CREATE TABLE networks (
    name       TEXT PRIMARY KEY,
    kind       TEXT NOT NULL,
    bridge     TEXT NOT NULL,
    vlan       INTEGER,
    subnet     TEXT,
    created_at INTEGER NOT NULL
);

CREATE TABLE operations (
    id            TEXT PRIMARY KEY,
    kind          TEXT NOT NULL,
    target        TEXT NOT NULL,
    status        TEXT NOT NULL,
    progress      INTEGER NOT NULL,
    phase         TEXT NOT NULL,
    error_code    TEXT,
    error_message TEXT,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX operations_updated ON operations (updated_at);
