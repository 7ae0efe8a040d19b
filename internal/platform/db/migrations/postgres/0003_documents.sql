-- Uploaded documents (R-10.6-5): qualification scans, licences and other
-- evidence. The bytes live content-addressed on disk under
-- <data>/documents/<sha256[0:2]>/<sha256>, written once however often they
-- are uploaded; each upload is a row here. organization_id is null until
-- the document is attached to an organisation; uploaded_by is the actor id
-- (an account id, or "apikey:<id>" for a machine client), so it has no
-- foreign key. See internal/document.

CREATE TABLE documents (
    id              TEXT PRIMARY KEY,
    sha256          TEXT NOT NULL,
    content_type    TEXT NOT NULL CHECK (content_type IN ('application/pdf','image/png','image/jpeg')),
    size            BIGINT NOT NULL CHECK (size > 0 AND size <= 10485760),
    file_name       TEXT NOT NULL,
    organization_id TEXT REFERENCES organizations (id),
    uploaded_by     TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX documents_sha256 ON documents (sha256);
CREATE INDEX documents_org ON documents (organization_id);
