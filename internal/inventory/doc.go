// Package inventory owns a seller's goods from the supplier to the buyer
// (GB/T 31524 §6.4): supplier filing (商品供应商资质备案, R-6.4-1), purchase
// registration and inspection (进货登记, 验货; R-6.4-2, R-6.4-11), sellable
// batches with their expiry and freezes (R-6.4-12), the stock ledger and
// levels (商品计数管理, R-6.4-6), reservations and sales for the order
// domain, stock adjustments and counts (盘点, R-6.4-7), and the batch → order
// trace a recall starts from (R-6.4-3, R-10.4-15).
//
// Tables: suppliers, supplier_qualifications, stock_receipts, stock_batches,
// stock_ledger, stock_levels, stock_counts, stock_count_lines. It reads
// skus.organization_id (owned by catalog) to decide whose stock a SKU is.
//
// # The stock model
//
// stock_levels holds on_hand and reserved per SKU; the table's CHECKs keep
// 0 <= reserved <= on_hand. Every change to a level is one or more
// immutable stock_ledger rows in the same transaction, so the ledger sums
// always equal the levels. Goods that passed inspection also form batches
// (stock_batches.remaining); units added without a receipt (a positive
// adjustment, a count surplus) are "unbatched". The invariant
//
//	sum(remaining of the SKU's batches) <= on_hand
//
// holds after every movement, so unbatched = on_hand − sum(remaining).
// Units in a batch that is frozen or past its expiry date (Asia/Shanghai
// calendar day) are blocked, and
//
//	available = on_hand − reserved − blocked   (shown as 0 when negative)
//
// which is "unbatched plus sellable batches, less what is reserved". A
// batch stops counting the moment its expiry day has passed, before the
// daily ExpireBatches job writes it off.
//
// # Concurrency
//
// Every movement and every change to a SKU's batches (receipt, sale,
// return, adjustment, count, freeze, expiry) first locks the SKU's
// stock_levels row, creating it at zero if need be (SELECT … FOR UPDATE on
// PostgreSQL; SQLite has a single writer and gbmall begins write
// transactions IMMEDIATE), so what a movement reads about the SKU cannot
// change under it, even with several processes on one PostgreSQL. Lines
// are locked in SKU order, so two orders cannot deadlock. The level
// itself is then changed only by conditional UPDATEs (… WHERE on_hand −
// reserved − blocked >= $1) whose RowsAffected is checked, and the CHECKs
// stand behind them: stock cannot go negative even if a caller forgot the
// lock.
package inventory
