-- A second version beside the category tree's: everything else an order's
-- catalogue check reads (catalog.PurchasableMany) — the SKU and its price,
-- the product's listing, the seller's standing and licences. A serve
-- process keeps each SKU's answer under the sum of the two versions and
-- reuses it while that sum is unchanged; the placing transaction reads the
-- sum again, so an answer from before any change is checked again there.
-- Only the columns the check reads bump it (a sale count does not).

INSERT INTO catalog_versions (name, version) VALUES ('trade', 1);
CREATE TRIGGER skus_ins_trade_version AFTER INSERT ON skus
BEGIN UPDATE catalog_versions SET version = version + 1 WHERE name = 'trade'; END;
CREATE TRIGGER skus_del_trade_version AFTER DELETE ON skus
BEGIN UPDATE catalog_versions SET version = version + 1 WHERE name = 'trade'; END;
CREATE TRIGGER skus_upd_trade_version AFTER UPDATE OF product_id, code, attributes, price_fen, reference_price_fen ON skus
BEGIN UPDATE catalog_versions SET version = version + 1 WHERE name = 'trade'; END;
CREATE TRIGGER products_del_trade_version AFTER DELETE ON products
BEGIN UPDATE catalog_versions SET version = version + 1 WHERE name = 'trade'; END;
CREATE TRIGGER products_upd_trade_version AFTER UPDATE OF organization_id, category_id, title, status, version ON products
BEGIN UPDATE catalog_versions SET version = version + 1 WHERE name = 'trade'; END;
CREATE TRIGGER organizations_del_trade_version AFTER DELETE ON organizations
BEGIN UPDATE catalog_versions SET version = version + 1 WHERE name = 'trade'; END;
CREATE TRIGGER organizations_upd_trade_version AFTER UPDATE OF kind, name, status ON organizations
BEGIN UPDATE catalog_versions SET version = version + 1 WHERE name = 'trade'; END;
CREATE TRIGGER qualifications_ins_trade_version AFTER INSERT ON qualifications
BEGIN UPDATE catalog_versions SET version = version + 1 WHERE name = 'trade'; END;
CREATE TRIGGER qualifications_del_trade_version AFTER DELETE ON qualifications
BEGIN UPDATE catalog_versions SET version = version + 1 WHERE name = 'trade'; END;
CREATE TRIGGER qualifications_upd_trade_version AFTER UPDATE ON qualifications
BEGIN UPDATE catalog_versions SET version = version + 1 WHERE name = 'trade'; END;
CREATE TRIGGER qualification_requirements_ins_trade_version AFTER INSERT ON qualification_requirements
BEGIN UPDATE catalog_versions SET version = version + 1 WHERE name = 'trade'; END;
CREATE TRIGGER qualification_requirements_del_trade_version AFTER DELETE ON qualification_requirements
BEGIN UPDATE catalog_versions SET version = version + 1 WHERE name = 'trade'; END;
CREATE TRIGGER qualification_requirements_upd_trade_version AFTER UPDATE ON qualification_requirements
BEGIN UPDATE catalog_versions SET version = version + 1 WHERE name = 'trade'; END;
