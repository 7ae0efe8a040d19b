-- A second version beside the category tree's: everything else an order's
-- catalogue check reads (catalog.PurchasableMany) — the SKU and its price,
-- the product's listing, the seller's standing and licences. A serve
-- process keeps each SKU's answer under the sum of the two versions and
-- reuses it while that sum is unchanged; the placing transaction reads the
-- sum again, so an answer from before any change is checked again there.
-- Only the columns the check reads bump it (a sale count does not), and
-- the bump is a row update, so it becomes visible with the change's commit.

INSERT INTO catalog_versions (name, version) VALUES ('trade', 1);

CREATE FUNCTION bump_trade_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE catalog_versions SET version = version + 1 WHERE name = 'trade';
    RETURN NULL;
END $$;

CREATE TRIGGER skus_trade_version
    AFTER INSERT OR DELETE OR UPDATE OF product_id, code, attributes, price_fen, reference_price_fen ON skus
    FOR EACH STATEMENT EXECUTE FUNCTION bump_trade_version();
CREATE TRIGGER products_trade_version
    AFTER DELETE OR UPDATE OF organization_id, category_id, title, status, version ON products
    FOR EACH STATEMENT EXECUTE FUNCTION bump_trade_version();
CREATE TRIGGER organizations_trade_version
    AFTER DELETE OR UPDATE OF kind, name, status ON organizations
    FOR EACH STATEMENT EXECUTE FUNCTION bump_trade_version();
CREATE TRIGGER qualifications_trade_version
    AFTER INSERT OR UPDATE OR DELETE ON qualifications
    FOR EACH STATEMENT EXECUTE FUNCTION bump_trade_version();
CREATE TRIGGER qualification_requirements_trade_version
    AFTER INSERT OR UPDATE OR DELETE ON qualification_requirements
    FOR EACH STATEMENT EXECUTE FUNCTION bump_trade_version();
CREATE TRIGGER skus_trade_version_truncate AFTER TRUNCATE ON skus
    FOR EACH STATEMENT EXECUTE FUNCTION bump_trade_version();
CREATE TRIGGER products_trade_version_truncate AFTER TRUNCATE ON products
    FOR EACH STATEMENT EXECUTE FUNCTION bump_trade_version();
CREATE TRIGGER organizations_trade_version_truncate AFTER TRUNCATE ON organizations
    FOR EACH STATEMENT EXECUTE FUNCTION bump_trade_version();
CREATE TRIGGER qualifications_trade_version_truncate AFTER TRUNCATE ON qualifications
    FOR EACH STATEMENT EXECUTE FUNCTION bump_trade_version();
