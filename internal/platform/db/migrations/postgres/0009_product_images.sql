-- Product images (issue 4 point 2). The images a seller uploads for a
-- product, in display order (position 0 is the main image shown in lists),
-- at most 9 per product. The bytes live content-addressed on disk under
-- <data>/media/<sha256[0:2]>/<sha256>/ (the original, never served, and
-- JPEG renditions 160.jpg, 480.jpg, 960.jpg served publicly at
-- /media/<sha256>/<size>.jpg); each row puts one of them on one product.
-- See internal/catalog/images.go. This replaces the placeholder table of
-- 0005, which nothing wrote.

DROP TABLE product_images;

CREATE TABLE product_images (
    id              TEXT PRIMARY KEY,
    product_id      TEXT NOT NULL REFERENCES products (id),
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    sha256          TEXT NOT NULL,
    content_type    TEXT NOT NULL CHECK (content_type IN ('image/jpeg','image/png','image/webp')),
    size            BIGINT NOT NULL CHECK (size > 0 AND size <= 10485760),
    width           INTEGER NOT NULL CHECK (width > 0),
    height          INTEGER NOT NULL CHECK (height > 0),
    position        INTEGER NOT NULL CHECK (position >= 0 AND position < 9),
    created_at      TIMESTAMPTZ NOT NULL,
    created_by      TEXT NOT NULL,
    UNIQUE (product_id, sha256)
);
CREATE INDEX product_images_product ON product_images (product_id, position);
CREATE INDEX product_images_sha256 ON product_images (sha256);
