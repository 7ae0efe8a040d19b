// Package search owns the product search index (table search_grams) and
// the queries on it: listed products found by any Chinese word or substring
// of two or more characters of their title, by any single Han character,
// and by English words, ranked by relevance (R-5.3-5, issue 4). The index is
// kept by IndexTx and RemoveTx in the transaction that changes the listing,
// so a listing, delisting or edit shows on the next request, and Find only
// ever returns products whose status is 'listed'.
//
// # Grams
//
// Trigram indexes (pg_trgm, FTS5 trigram) cannot find two-character Chinese
// terms, and most Chinese product words are two characters (手机, 纯棉), so
// gbmall keeps a portable n-gram table that both engines answer with
// equality look-ups: every Han character and every overlapping pair of Han
// characters, and the lower-cased words of letters and digits after folding
// full-width ASCII (Grams). A query must match all of its grams: a lone Han
// character itself, a longer Han run its pairs, and its words (QueryGrams).
// A product with every pair of a phrase almost always contains the phrase;
// those that contain it rank first.
//
// # How Find runs, and why (measured)
//
// Find first counts each query gram's index entries, stopping at a
// threshold (1,000, or 10 × limit), then takes one of two plans:
//
//   - Walk: when every gram is that common, read listed products newest
//     first through products_newest (status, listed_at, id) and probe the
//     primary key of search_grams for each gram, stopping at limit. The cost
//     is about limit × catalogue ÷ matches probes, whatever the number of
//     matches. For a phrase, the walk's answer stands if every product it
//     found contains the phrase; otherwise Find falls back to the posting
//     lists. Queries of several words never walk: their phrase is rarely in
//     a title as typed.
//   - Posting lists: otherwise, intersect the grams' entries — grouping all
//     of them (GROUP BY … HAVING count(*) = k), or, when the rarest gram has
//     at most a quarter of the commonest's entries, probing the others for
//     each product of the rarest — then look each match up in products and
//     rank. The cost is about one product look-up per match.
//
// Measured on a 2-core AMD EPYC shared with other jobs (load average
// 0.3–1.4; figures move by a third between runs), 100,000 products from
// Generate (2,267,312 grams; the SQLite file is 460 MB), SQLite without
// statistics, PostgreSQL 15 with its default configuration after VACUUM
// ANALYZE; medians of six runs of each statement, milliseconds. "Plain
// join" is PostgreSQL's own plan for the posting list joined to products,
// "look-ups" the LATERAL form Find uses:
//
//	query (products matching)   SQLite           PostgreSQL
//	                            postings  walk   plain join  look-ups  walk
//	limit 20
//	  dyson (985)                    7.4   4.2         56        6.8    8.1
//	  手机 (12,574)                   48   0.4        2.5         80    1.3
//	  机 (22,044)                     64   0.6        2.2        141    1.1
//	  官方旗舰 (6,770)                64   0.8         68         53    1.8
//	limit 1,000
//	  纯棉 (3,198)                    17    66         47         20    125
//	  新款 (6,448)                    40    35         72         39     68
//	  手机 (12,574)                   57    21         70         79     40
//
// Hence the choices: reading the posting list of a word in 12,000 products
// costs 12,000 product look-ups, while walking finds 20 matches in about
// 160 rows; the walk loses when matches are few for the limit (it reads
// limit × catalogue ÷ matches rows: 纯棉 at limit 1,000), which the
// threshold guards. PostgreSQL's default costs prefer hashing the whole
// products table (about 40 ms here) to a thousand index look-ups (about
// 5 ms), so Find looks products up through a LATERAL subquery it cannot
// flatten (OFFSET 0); left alone it walks by itself only for the commonest
// grams. It would also turn the walk's EXISTS probes into a semi-join over
// every match, which an OFFSET 0 in the probe prevents. SQLite without statistics would drive the posting-list plan
// from products_price_id; CROSS JOIN fixes its join order. Grouping versus
// probing from the rarest gram: neither wins everywhere (官方 pro at limit
// 20: SQLite 19 vs 59 ms; 华为 手机: 19 vs 9 ms); making the rarest-first
// plan the only one raised p95 at limit 1,000 from 62 to 79 ms (SQLite) and
// from 74 to 99 ms (PostgreSQL).
//
// BenchmarkFind (go test -run '^$' -bench Find -benchtime 240x), same
// machine and data, p50 and p95 in milliseconds over 10–12 queries of each
// kind, common and rare words alike; the ranges are two runs:
//
//	                         SQLite                PostgreSQL
//	                         p50       p95         p50        p95
//	limit 20
//	  2 Han characters       1.6–2.2   5.3–7.2     4.3        10.5–10.9
//	  4 Han characters       3.9–4.7   6.8–8.2     9.5–9.7    16.7–17.6
//	  English word           2.4–3.4   6.7–8.3     5.0–6.2     9.0–11.5
//	limit 1,000 (catalog.Browse's finderCap)
//	  2 Han characters      16–20     38–49       13–15       41–42
//	  4 Han characters      19–23     77–92       17–18       77–81
//	  English word          13–17     42–53       10–11       35–39
//
// A page of results meets the 50 ms goal on both engines with room to
// spare. Asking for 1,000 hits does not for phrases in thousands of
// products (官方旗舰: 60–90 ms), which must each be looked up; hence
// FindFiltered, which applies the category, price and seller filters and
// the requested order in the index query, so catalog.Browse asks for one
// page (plus one) instead of 1,000 hits.
package search
