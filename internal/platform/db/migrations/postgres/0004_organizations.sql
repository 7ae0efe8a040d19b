-- Organisations' registration data, qualification dossier, review history,
-- filing register, expiry warnings and notices (GB/T 31524 §5.4).

ALTER TABLE organizations ADD COLUMN uscc TEXT NOT NULL DEFAULT '';
ALTER TABLE organizations ADD COLUMN legal_rep_name_enc TEXT NOT NULL DEFAULT '';
ALTER TABLE organizations ADD COLUMN legal_rep_id_enc TEXT NOT NULL DEFAULT '';
ALTER TABLE organizations ADD COLUMN legal_rep_id_masked TEXT NOT NULL DEFAULT '';
ALTER TABLE organizations ADD COLUMN contact_name_enc TEXT NOT NULL DEFAULT '';
ALTER TABLE organizations ADD COLUMN contact_mobile_enc TEXT NOT NULL DEFAULT '';
ALTER TABLE organizations ADD COLUMN contact_email_enc TEXT NOT NULL DEFAULT '';
ALTER TABLE organizations ADD COLUMN address TEXT NOT NULL DEFAULT '';
ALTER TABLE organizations ADD COLUMN business_scope TEXT NOT NULL DEFAULT '';
ALTER TABLE organizations ADD COLUMN status_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE organizations ADD COLUMN dossier_version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE organizations ADD COLUMN submitted_version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE organizations ADD COLUMN submitted_at TIMESTAMPTZ;
ALTER TABLE organizations ADD COLUMN approved_at TIMESTAMPTZ;
ALTER TABLE organizations ADD COLUMN reverify_due_at TIMESTAMPTZ;
ALTER TABLE organizations ADD COLUMN reverify_notified_at TIMESTAMPTZ;
ALTER TABLE organizations ADD COLUMN cessation_on TEXT NOT NULL DEFAULT '';
ALTER TABLE organizations ADD COLUMN cessation_announced_at TIMESTAMPTZ;
CREATE INDEX organizations_uscc ON organizations (uscc);
CREATE INDEX organizations_reverify ON organizations (status, reverify_due_at);

CREATE TABLE qualification_types (
    code      TEXT PRIMARY KEY,
    name_zh   TEXT NOT NULL,
    name_en   TEXT NOT NULL,
    issuer_zh TEXT NOT NULL,
    issuer_en TEXT NOT NULL
);

-- Which qualification types an organisation kind must hold.
CREATE TABLE qualification_requirements (
    org_kind TEXT NOT NULL,
    code     TEXT NOT NULL REFERENCES qualification_types (code),
    required BOOLEAN NOT NULL,
    PRIMARY KEY (org_kind, code)
);

CREATE TABLE qualifications (
    id              TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    type_code       TEXT NOT NULL REFERENCES qualification_types (code),
    number          TEXT NOT NULL,
    issuer          TEXT NOT NULL,
    valid_from      TEXT NOT NULL,
    valid_until     TEXT NOT NULL,
    document_id     TEXT,
    review_status   TEXT NOT NULL CHECK (review_status IN ('pending','approved','rejected','withdrawn')),
    review_reason   TEXT NOT NULL DEFAULT '',
    created_by      TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    reviewed_at     TIMESTAMPTZ,
    reviewed_by     TEXT
);
CREATE INDEX qualifications_org ON qualifications (organization_id, type_code);
CREATE INDEX qualifications_expiry ON qualifications (review_status, valid_until);

-- The registration file (登记档案, R-5.4-2): every change of an
-- organisation's data or status, with a snapshot of the data at that time.
CREATE TABLE organization_history (
    id              TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    at              TIMESTAMPTZ NOT NULL,
    actor_id        TEXT NOT NULL,
    action          TEXT NOT NULL,
    from_status     TEXT NOT NULL,
    to_status       TEXT NOT NULL,
    reason          TEXT NOT NULL DEFAULT '',
    dossier_version INTEGER NOT NULL,
    snapshot        TEXT NOT NULL
);
CREATE INDEX organization_history_org ON organization_history (organization_id, at);

-- The filing register (备案): one entry per approval.
CREATE TABLE filings (
    id              TEXT PRIMARY KEY,
    register_number TEXT NOT NULL UNIQUE,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    kind            TEXT NOT NULL,
    name            TEXT NOT NULL,
    uscc            TEXT NOT NULL,
    qualifications  TEXT NOT NULL,
    filed_at        TIMESTAMPTZ NOT NULL,
    filed_by        TEXT NOT NULL
);
CREATE INDEX filings_org ON filings (organization_id);
CREATE INDEX filings_filed ON filings (filed_at);

CREATE TABLE filing_counters (
    year INTEGER PRIMARY KEY,
    n    BIGINT NOT NULL
);

CREATE TABLE qualification_warnings (
    qualification_id TEXT NOT NULL REFERENCES qualifications (id),
    days_before      INTEGER NOT NULL,
    sent_at          TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (qualification_id, days_before)
);

-- Notices to an organisation (expiry warnings, review outcomes, re-verification).
CREATE TABLE org_notices (
    id              TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    kind            TEXT NOT NULL,
    text_zh         TEXT NOT NULL,
    text_en         TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    read_at         TIMESTAMPTZ
);
CREATE INDEX org_notices_org ON org_notices (organization_id, created_at);

INSERT INTO qualification_types (code, name_zh, name_en, issuer_zh, issuer_en) VALUES
 ('business_license', '营业执照', 'Business licence', '市场监督管理部门', 'Market regulation authority'),
 ('express_business_license', '快递业务经营许可证', 'Express delivery business licence', '邮政管理部门', 'Postal administration'),
 ('payment_business_license', '支付业务许可证', 'Payment business licence', '中国人民银行', 'People''s Bank of China'),
 ('food_business_license', '食品经营许可证', 'Food business licence', '市场监督管理部门', 'Market regulation authority'),
 ('medical_device_license', '医疗器械经营许可证（或备案凭证）', 'Medical device business licence (or filing)', '药品监督管理部门', 'Medical products administration'),
 ('cosmetics_license', '化妆品经营相关许可或备案', 'Cosmetics licence or filing', '药品监督管理部门', 'Medical products administration'),
 ('publication_license', '出版物经营许可证', 'Publication business licence', '新闻出版主管部门', 'Press and publication authority'),
 ('icp_license', '增值电信业务经营许可证（ICP/EDI）', 'Value-added telecom licence (ICP/EDI)', '通信管理局', 'Communications administration');

INSERT INTO qualification_requirements (org_kind, code, required) VALUES
 ('seller', 'business_license', TRUE),
 ('seller', 'food_business_license', FALSE),
 ('seller', 'medical_device_license', FALSE),
 ('seller', 'cosmetics_license', FALSE),
 ('seller', 'publication_license', FALSE),
 ('carrier', 'business_license', TRUE),
 ('carrier', 'express_business_license', TRUE),
 ('payment_provider', 'business_license', TRUE),
 ('payment_provider', 'payment_business_license', TRUE),
 ('platform', 'business_license', TRUE),
 ('platform', 'icp_license', TRUE);
