-- The web dashboard's login links (`fengqiao web link`): short-lived,
-- single-use tokens issued on the node's host. Only the SHA-256 of a token
-- is kept (hex), never the token; `used_at` is set, once, when the link is
-- opened. Who the link logs in is the person, role and unit it was issued for.
CREATE TABLE web_login_tokens (
    token_hash TEXT PRIMARY KEY NOT NULL,
    unit_id    TEXT NOT NULL,
    person     TEXT NOT NULL,
    role       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at    TEXT
) WITHOUT ROWID;
