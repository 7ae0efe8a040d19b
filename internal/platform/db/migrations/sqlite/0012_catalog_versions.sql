-- A version number for data that every order reads but that changes
-- rarely: the category tree and the licences each category needs. Placing
-- an order reads the version in the same statement as the SKU and reuses
-- the tree it already holds while the version is unchanged; any change to
-- those tables bumps it.

CREATE TABLE catalog_versions (
    name    TEXT PRIMARY KEY,
    version INTEGER NOT NULL
);

INSERT INTO catalog_versions (name, version) VALUES ('categories', 1);

CREATE TRIGGER categories_version_insert AFTER INSERT ON categories
BEGIN UPDATE catalog_versions SET version = version + 1 WHERE name = 'categories'; END;
CREATE TRIGGER categories_version_update AFTER UPDATE ON categories
BEGIN UPDATE catalog_versions SET version = version + 1 WHERE name = 'categories'; END;
CREATE TRIGGER categories_version_delete AFTER DELETE ON categories
BEGIN UPDATE catalog_versions SET version = version + 1 WHERE name = 'categories'; END;
CREATE TRIGGER category_qualifications_version_insert AFTER INSERT ON category_qualifications
BEGIN UPDATE catalog_versions SET version = version + 1 WHERE name = 'categories'; END;
CREATE TRIGGER category_qualifications_version_update AFTER UPDATE ON category_qualifications
BEGIN UPDATE catalog_versions SET version = version + 1 WHERE name = 'categories'; END;
CREATE TRIGGER category_qualifications_version_delete AFTER DELETE ON category_qualifications
BEGIN UPDATE catalog_versions SET version = version + 1 WHERE name = 'categories'; END;
