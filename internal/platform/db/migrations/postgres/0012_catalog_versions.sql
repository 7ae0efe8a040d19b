-- A version number for data that every order reads but that changes
-- rarely: the category tree and the licences each category needs. Placing
-- an order reads the version in the same statement as the SKU and reuses
-- the tree it already holds while the version is unchanged, in every serve
-- process; any change to those tables, from any process, bumps it.

CREATE TABLE catalog_versions (
    name    TEXT PRIMARY KEY,
    version BIGINT NOT NULL
);

INSERT INTO catalog_versions (name, version) VALUES ('categories', 1);

CREATE FUNCTION bump_categories_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE catalog_versions SET version = version + 1 WHERE name = 'categories';
    RETURN NULL;
END $$;

CREATE TRIGGER categories_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON categories
    FOR EACH STATEMENT EXECUTE FUNCTION bump_categories_version();
CREATE TRIGGER category_qualifications_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON category_qualifications
    FOR EACH STATEMENT EXECUTE FUNCTION bump_categories_version();
