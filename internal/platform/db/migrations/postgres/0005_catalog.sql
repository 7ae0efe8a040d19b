-- Catalogue and merchandise management (GB/T 31524 §6.3, §6.4): categories,
-- claim screening terms, products with versions, SKUs and price history,
-- suppliers, stock receipts and batches, the stock ledger, stock counts,
-- sales facts for reference prices, and the n-gram search index.

CREATE TABLE categories (
    id              TEXT PRIMARY KEY,
    parent_id       TEXT REFERENCES categories (id),
    name_zh         TEXT NOT NULL,
    name_en         TEXT NOT NULL,
    sort            INTEGER NOT NULL DEFAULT 0,
    is_leaf         BOOLEAN NOT NULL,
    prohibited      BOOLEAN NOT NULL DEFAULT FALSE,
    review_required BOOLEAN NOT NULL DEFAULT FALSE,
    returnable_7d   BOOLEAN NOT NULL DEFAULT TRUE,
    commission_bp   INTEGER NOT NULL DEFAULT 500,
    updated_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX categories_parent ON categories (parent_id, sort);

CREATE TABLE category_qualifications (
    category_id TEXT NOT NULL REFERENCES categories (id),
    code        TEXT NOT NULL REFERENCES qualification_types (code),
    PRIMARY KEY (category_id, code)
);

-- Claim screening (R-6.4-13): absolute terms the Advertising Law bans and
-- claims a category forbids. action 'block' refuses listing; 'review' sends
-- the product to a reviewer.
CREATE TABLE claim_terms (
    id          TEXT PRIMARY KEY,
    term        TEXT NOT NULL,
    category_id TEXT REFERENCES categories (id),
    action      TEXT NOT NULL CHECK (action IN ('block','review')),
    note        TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE products (
    id                 TEXT PRIMARY KEY,
    organization_id    TEXT NOT NULL REFERENCES organizations (id),
    category_id        TEXT NOT NULL REFERENCES categories (id),
    title              TEXT NOT NULL,
    description_html   TEXT NOT NULL,
    standard_code      TEXT NOT NULL DEFAULT '',
    certificate_number TEXT NOT NULL DEFAULT '',
    status             TEXT NOT NULL CHECK (status IN ('draft','pending_review','listed','delisted','removed')),
    status_reason      TEXT NOT NULL DEFAULT '',
    version            INTEGER NOT NULL DEFAULT 1,
    min_price_fen      BIGINT NOT NULL DEFAULT 0,
    sales_count        BIGINT NOT NULL DEFAULT 0,
    created_at         TIMESTAMPTZ NOT NULL,
    updated_at         TIMESTAMPTZ NOT NULL,
    listed_at          TIMESTAMPTZ
);
CREATE INDEX products_org ON products (organization_id, status, updated_at);
CREATE INDEX products_listed ON products (status, category_id, listed_at);
CREATE INDEX products_price ON products (status, min_price_fen);

-- Every listing version, kept (R-6.3-2); order lines point to the version bought.
CREATE TABLE product_versions (
    product_id TEXT NOT NULL REFERENCES products (id),
    version    INTEGER NOT NULL,
    snapshot   TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    created_by TEXT NOT NULL,
    PRIMARY KEY (product_id, version)
);

CREATE TABLE product_images (
    id          TEXT PRIMARY KEY,
    product_id  TEXT NOT NULL REFERENCES products (id),
    sha256      TEXT NOT NULL,
    thumb_sha256 TEXT NOT NULL,
    content_type TEXT NOT NULL,
    width       INTEGER NOT NULL,
    height      INTEGER NOT NULL,
    sort        INTEGER NOT NULL DEFAULT 0,
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX product_images_product ON product_images (product_id, sort);

CREATE TABLE skus (
    id                  TEXT PRIMARY KEY,
    product_id          TEXT NOT NULL REFERENCES products (id),
    organization_id     TEXT NOT NULL REFERENCES organizations (id),
    code                TEXT NOT NULL,
    attributes          TEXT NOT NULL,
    price_fen           BIGINT NOT NULL CHECK (price_fen > 0),
    currency            TEXT NOT NULL DEFAULT 'CNY',
    reference_price_fen BIGINT,
    barcode             TEXT NOT NULL DEFAULT '',
    created_at          TIMESTAMPTZ NOT NULL,
    updated_at          TIMESTAMPTZ NOT NULL,
    UNIQUE (product_id, code)
);
CREATE INDEX skus_product ON skus (product_id);

-- Every price change with time and actor (R-6.4-8).
CREATE TABLE price_changes (
    id                  TEXT PRIMARY KEY,
    sku_id              TEXT NOT NULL REFERENCES skus (id),
    old_price_fen       BIGINT,
    new_price_fen       BIGINT NOT NULL,
    reference_price_fen BIGINT,
    actor_id            TEXT NOT NULL,
    at                  TIMESTAMPTZ NOT NULL
);
CREATE INDEX price_changes_sku ON price_changes (sku_id, at);

-- Sales facts (written by the order domain when an order is paid): the
-- basis of the reference-price rule (R-6.4-9).
CREATE TABLE sku_sales (
    id             TEXT PRIMARY KEY,
    sku_id         TEXT NOT NULL REFERENCES skus (id),
    order_id       TEXT NOT NULL,
    unit_price_fen BIGINT NOT NULL,
    quantity       INTEGER NOT NULL,
    sold_at        TIMESTAMPTZ NOT NULL
);
CREATE INDEX sku_sales_sku ON sku_sales (sku_id, sold_at);

-- Supplier filing (商品供应商资质备案, R-6.4-1).
CREATE TABLE suppliers (
    id                 TEXT PRIMARY KEY,
    organization_id    TEXT NOT NULL REFERENCES organizations (id),
    name               TEXT NOT NULL,
    uscc               TEXT NOT NULL,
    contact_name_enc   TEXT NOT NULL,
    contact_mobile_enc TEXT NOT NULL,
    created_at         TIMESTAMPTZ NOT NULL,
    updated_at         TIMESTAMPTZ NOT NULL,
    UNIQUE (organization_id, uscc)
);

CREATE TABLE supplier_qualifications (
    id          TEXT PRIMARY KEY,
    supplier_id TEXT NOT NULL REFERENCES suppliers (id),
    type        TEXT NOT NULL,
    number      TEXT NOT NULL,
    valid_until TEXT NOT NULL
);
CREATE INDEX supplier_qualifications_supplier ON supplier_qualifications (supplier_id);

-- Purchase registration and inspection (进货登记, 验货; R-6.4-2, R-6.4-11).
CREATE TABLE stock_receipts (
    id               TEXT PRIMARY KEY,
    organization_id  TEXT NOT NULL REFERENCES organizations (id),
    sku_id           TEXT NOT NULL REFERENCES skus (id),
    supplier_id      TEXT NOT NULL REFERENCES suppliers (id),
    quantity         INTEGER NOT NULL CHECK (quantity > 0),
    batch            TEXT NOT NULL,
    produced_on      TEXT NOT NULL DEFAULT '',
    expires_on       TEXT NOT NULL DEFAULT '',
    inspection       TEXT NOT NULL CHECK (inspection IN ('pass','fail')),
    inspection_notes TEXT NOT NULL DEFAULT '',
    received_by      TEXT NOT NULL,
    received_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX stock_receipts_sku ON stock_receipts (sku_id, received_at);
CREATE INDEX stock_receipts_org ON stock_receipts (organization_id, received_at);

-- Sellable batches: what passed inspection, with what remains of it and its
-- expiry; goods past expiry stop being sellable (R-6.4-11).
CREATE TABLE stock_batches (
    receipt_id TEXT PRIMARY KEY REFERENCES stock_receipts (id),
    sku_id     TEXT NOT NULL REFERENCES skus (id),
    batch      TEXT NOT NULL,
    remaining  INTEGER NOT NULL CHECK (remaining >= 0),
    expires_on TEXT NOT NULL DEFAULT '',
    frozen     BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX stock_batches_sku ON stock_batches (sku_id, expires_on);

-- The stock ledger (商品计数管理, R-6.4-6): every movement, immutable.
CREATE TABLE stock_ledger (
    id              TEXT PRIMARY KEY,
    sku_id          TEXT NOT NULL REFERENCES skus (id),
    organization_id TEXT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('receipt','reservation','release','sale','return','adjustment','count','expiry','quarantine')),
    delta_on_hand   INTEGER NOT NULL,
    delta_reserved  INTEGER NOT NULL,
    receipt_id      TEXT,
    order_id        TEXT,
    reason          TEXT NOT NULL DEFAULT '',
    actor_id        TEXT NOT NULL,
    at              TIMESTAMPTZ NOT NULL
);
CREATE INDEX stock_ledger_sku ON stock_ledger (sku_id, at);
CREATE INDEX stock_ledger_order ON stock_ledger (order_id);

-- Current levels, derived from the ledger and kept in the same transaction;
-- the CHECKs make overselling impossible at the database (R-6.4-6).
CREATE TABLE stock_levels (
    sku_id   TEXT PRIMARY KEY REFERENCES skus (id),
    on_hand  INTEGER NOT NULL DEFAULT 0 CHECK (on_hand >= 0),
    reserved INTEGER NOT NULL DEFAULT 0 CHECK (reserved >= 0),
    CHECK (reserved <= on_hand)
);

-- Stock counts (盘点, R-6.4-7).
CREATE TABLE stock_counts (
    id              TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    counter_name    TEXT NOT NULL,
    counted_by      TEXT NOT NULL,
    counted_at      TIMESTAMPTZ NOT NULL
);
CREATE TABLE stock_count_lines (
    count_id TEXT NOT NULL REFERENCES stock_counts (id),
    sku_id   TEXT NOT NULL REFERENCES skus (id),
    expected INTEGER NOT NULL,
    counted  INTEGER NOT NULL,
    PRIMARY KEY (count_id, sku_id)
);

-- Search: an n-gram index kept in the same transaction as the listing.
-- Chinese text is indexed as overlapping 1- and 2-character grams, other
-- text as lower-cased words, so any Chinese word or 2+-character substring
-- and any English word can be found with equality look-ups (no trigram
-- index can find two-character Chinese terms).
CREATE TABLE search_grams (
    gram       TEXT NOT NULL,
    product_id TEXT NOT NULL REFERENCES products (id),
    PRIMARY KEY (gram, product_id)
);
CREATE INDEX search_grams_product ON search_grams (product_id);
