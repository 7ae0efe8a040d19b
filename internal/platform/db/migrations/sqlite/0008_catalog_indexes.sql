-- The public list pages listed products newest first or by price with a
-- keyset cursor; these indexes serve both orders without sorting the
-- whole catalogue (measured: 0.5 s → milliseconds for 100,000 products).
CREATE INDEX products_newest ON products (status, listed_at, id);
CREATE INDEX products_price_id ON products (status, min_price_fen, id);
