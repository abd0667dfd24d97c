-- Version 5: the image factory's images (base, target and provider images) with their progress.
-- Provider credentials are never stored.
CREATE TABLE factory_images (
    id            TEXT PRIMARY KEY,
    kind          TEXT NOT NULL,             -- base | target | provider
    status        TEXT NOT NULL,             -- NEW, PENDING, BUILDING, COMPLETE, FAILED, DELETING, DELETED, DELETEFAILED
    percent       INTEGER NOT NULL,
    activity      TEXT NOT NULL,
    error_code    TEXT,
    error_message TEXT,
    template      TEXT,                      -- TDL
    parameters    TEXT NOT NULL DEFAULT '{}',
    callbacks     TEXT NOT NULL DEFAULT '[]',
    base_image    TEXT,
    target_image  TEXT,
    target        TEXT,
    provider      TEXT,                      -- JSON {"type", "settings"}
    published     TEXT,                      -- JSON {"identifier", "properties"}
    file          TEXT,                      -- the image's file name in its directory
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX factory_images_created ON factory_images (created_at);
