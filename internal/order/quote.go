package order

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"gbmall/internal/catalog"
	"gbmall/internal/org/cnid"
	"gbmall/internal/platform/db"
	"gbmall/internal/platform/fieldcrypt"
	"gbmall/internal/platform/i18n"
	"gbmall/internal/platform/id"
	"gbmall/internal/platform/problem"
)

// Item is a SKU and a quantity the consumer wants.
type Item struct {
	SKUID    string `json:"sku_id"`
	Quantity int    `json:"quantity"`
}

// Address is where the goods go. It is personal information: stored
// encrypted, shown masked to everyone but its owner.
type Address struct {
	Recipient  string `json:"recipient"`
	Mobile     string `json:"mobile"`
	RegionCode string `json:"region_code"`
	Detail     string `json:"detail"`
}

// Masked is the address as sellers' and staff's lists show it.
func (a Address) Masked() Address {
	return Address{Recipient: fieldcrypt.MaskName(a.Recipient), Mobile: fieldcrypt.MaskMobile(a.Mobile),
		RegionCode: a.RegionCode, Detail: fieldcrypt.MaskAddress(a.Detail)}
}

// Limits of one checkout.
const (
	maxItems    = 50
	maxQuantity = 999
)

// Shipping: until sellers publish their own shipping templates, every
// seller charges the platform's published default (R-5.5-6: only published
// fees): free from ¥99 of goods per order, otherwise ¥8.
const (
	FreeShippingFromFen = 9900
	ShippingFeeFen      = 800
	// ShipsWithinHours is the default delivery promise: shipped within 48
	// hours of the seller's acceptance.
	ShipsWithinHours = 48
)

// ShippingFor is the shipping fee of an order whose goods cost itemsFen.
func ShippingFor(itemsFen int64) int64 {
	if itemsFen >= FreeShippingFromFen {
		return 0
	}
	return ShippingFeeFen
}

// QuoteLine is one line of the confirmation page.
type QuoteLine struct {
	SKUID          string            `json:"sku_id"`
	ProductID      string            `json:"product_id"`
	ProductVersion int               `json:"product_version"`
	Title          string            `json:"title"`
	Attributes     map[string]string `json:"attributes"`
	UnitPrice      catalog.Money     `json:"unit_price"`
	Quantity       int               `json:"quantity"`
	LineTotal      catalog.Money     `json:"line_total"`
	Returnable7d   bool              `json:"returnable_7d" doc:"may be returned within 7 days without a reason"`
	CommissionBP   int               `json:"-"`
}

// DeliveryPromise is what the seller promises about shipping.
type DeliveryPromise struct {
	ShipsWithinHours int `json:"ships_within_hours" doc:"hours after the seller accepts the order"`
}

// QuoteOrder is one seller's part of a checkout: it becomes one order.
type QuoteOrder struct {
	SellerID            string          `json:"seller_id"`
	SellerName          string          `json:"seller_name"`
	SellerLicenceURL    string          `json:"seller_licence_url" doc:"the seller's licence disclosure page"`
	SellerDisclosureURL string          `json:"seller_disclosure_url"`
	Lines               []QuoteLine     `json:"lines"`
	ItemsTotal          catalog.Money   `json:"items_total"`
	Shipping            catalog.Money   `json:"shipping"`
	Total               catalog.Money   `json:"total"`
	DeliveryPromise     DeliveryPromise `json:"delivery_promise"`
}

// AddOn is an optional extra (insurance, a subscription, a tie-in item).
// gbmall offers none yet; when it does, each is listed here and none is
// ever pre-selected (R-6.6-4, E-commerce Law art. 19).
type AddOn struct {
	ID       string        `json:"id"`
	Name     string        `json:"name"`
	Price    catalog.Money `json:"price"`
	Selected bool          `json:"selected"`
}

// Quote is the order confirmation a consumer sees before committing
// (R-6.6-1): per seller the lines at today's prices, shipping, totals, the
// seller's disclosure link, the delivery promise and returnability, and the
// version of the terms.
type Quote struct {
	ID           string        `json:"quote_id"`
	ExpiresAt    time.Time     `json:"expires_at"`
	Orders       []QuoteOrder  `json:"orders"`
	Total        catalog.Money `json:"total"`
	TermsVersion string        `json:"terms_version"`
	TermsURL     string        `json:"terms_url"`
	AddOns       []AddOn       `json:"add_ons"`
	Address      Address       `json:"address" doc:"as entered, for the consumer to check"`
}

// validateAddress checks every field and reports all problems at once.
func validateAddress(a Address) (Address, []problem.FieldError) {
	var fs []problem.FieldError
	a.Recipient = strings.TrimSpace(a.Recipient)
	if n := utf8.RuneCountInString(a.Recipient); n < 1 || n > 50 {
		fs = append(fs, problem.Field("address.recipient", i18n.T("请填写收货人姓名（1–50 个字）", "Enter the recipient's name (1–50 characters)")))
	}
	if m, err := cnid.ValidateMobile(a.Mobile); err != nil {
		msg := i18n.T("手机号码无效", "Invalid mobile number")
		var ce *cnid.Error
		if errors.As(err, &ce) {
			msg = ce.Message
		}
		fs = append(fs, problem.Field("address.mobile", msg))
	} else {
		a.Mobile = m
	}
	a.RegionCode = strings.TrimSpace(a.RegionCode)
	if !validRegion(a.RegionCode) {
		fs = append(fs, problem.Field("address.region_code", i18n.T("行政区划代码应为 6 位数字（GB/T 2260），例如 110105", "The region code is 6 digits (GB/T 2260), e.g. 110105")))
	}
	a.Detail = strings.TrimSpace(a.Detail)
	if n := utf8.RuneCountInString(a.Detail); n < 4 || n > 200 {
		fs = append(fs, problem.Field("address.detail", i18n.T("请填写详细地址（4–200 个字）", "Enter the street address (4–200 characters)")))
	}
	return a, fs
}

// validRegion accepts a 6-digit GB/T 2260 county-level code whose province
// part is one that exists (11–82).
func validRegion(code string) bool {
	if len(code) != 6 {
		return false
	}
	for _, c := range code {
		if c < '0' || c > '9' {
			return false
		}
	}
	p := int(code[0]-'0')*10 + int(code[1]-'0')
	return p >= 11 && p <= 82 && code[2:] != "0000"
}

// mergeItems validates items and sums repeated SKUs, keeping first-seen order.
func mergeItems(items []Item) ([]Item, []problem.FieldError) {
	var fs []problem.FieldError
	if len(items) == 0 {
		fs = append(fs, problem.Field("items", i18n.T("请至少选择一件商品", "Choose at least one item")))
	}
	if len(items) > maxItems {
		fs = append(fs, problem.Field("items", i18n.T(fmt.Sprintf("一次最多结算 %d 种商品", maxItems), fmt.Sprintf("At most %d items per checkout", maxItems))))
	}
	idx := map[string]int{}
	var out []Item
	for i, it := range items {
		if !id.Valid(it.SKUID) {
			fs = append(fs, problem.Field(fmt.Sprintf("items[%d].sku_id", i), i18n.T("商品规格不存在", "No such SKU")))
			continue
		}
		if it.Quantity < 1 || it.Quantity > maxQuantity {
			fs = append(fs, problem.Field(fmt.Sprintf("items[%d].quantity", i), i18n.T(fmt.Sprintf("数量应在 1 到 %d 之间", maxQuantity), fmt.Sprintf("Quantity must be 1 to %d", maxQuantity))))
			continue
		}
		if j, ok := idx[it.SKUID]; ok {
			out[j].Quantity += it.Quantity
			continue
		}
		idx[it.SKUID] = len(out)
		out = append(out, it)
	}
	return out, fs
}

// priceLines looks every item up at now and groups the lines per seller,
// sellers in first-seen order. Unknown SKUs are field errors; SKUs not on
// sale come back as notOnSale.
func (s *Service) priceLines(ctx context.Context, items []Item, now time.Time) ([]QuoteOrder, []problem.FieldError, []string, error) {
	var fs []problem.FieldError
	var notOnSale []string
	var orders []QuoteOrder
	bySeller := map[string]int{}
	for i, it := range items {
		info, err := s.catalog.Purchasable(ctx, it.SKUID, now)
		if err != nil {
			if problem.CodeOf(err) == problem.NotFound {
				fs = append(fs, problem.Field(fmt.Sprintf("items[%d].sku_id", i), i18n.T("商品规格不存在", "No such SKU")))
				continue
			}
			if _, ok := problem.As(err); ok {
				notOnSale = append(notOnSale, it.SKUID)
				continue
			}
			return nil, nil, nil, err
		}
		j, ok := bySeller[info.SellerID]
		if !ok {
			j = len(orders)
			bySeller[info.SellerID] = j
			orders = append(orders, QuoteOrder{SellerID: info.SellerID, SellerName: info.SellerName,
				SellerLicenceURL: catalog.LicenceURL(info.SellerID), SellerDisclosureURL: catalog.DisclosureURL(info.SellerID),
				DeliveryPromise: DeliveryPromise{ShipsWithinHours: ShipsWithinHours}})
		}
		line := QuoteLine{SKUID: info.SKUID, ProductID: info.ProductID, ProductVersion: info.ProductVersion, Title: info.Title,
			Attributes: info.Attributes, UnitPrice: info.Price, Quantity: it.Quantity,
			LineTotal: catalog.CNY(info.Price.Amount * int64(it.Quantity)), Returnable7d: info.Returnable7d, CommissionBP: info.CommissionBP}
		orders[j].Lines = append(orders[j].Lines, line)
	}
	for i := range orders {
		var items int64
		for _, l := range orders[i].Lines {
			items += l.LineTotal.Amount
		}
		ship := ShippingFor(items)
		orders[i].ItemsTotal, orders[i].Shipping, orders[i].Total = catalog.CNY(items), catalog.CNY(ship), catalog.CNY(items+ship)
	}
	return orders, fs, notOnSale, nil
}

func notOnSaleError(skuIDs []string) error {
	return problem.New(problem.Conflict, i18n.T("部分商品已下架或暂不可购买，请从购物车中移除后再结算", "Some items are no longer on sale; remove them from the cart and try again")).
		With("sku_ids", skuIDs)
}

// QuoteCheckout prices items for the signed-in consumer and keeps the quote
// for QuoteTTL (R-6.6-1, R-6.6-3). Items short of stock answer 409
// out-of-stock naming them, so the consumer can correct the cart first.
func (s *Service) QuoteCheckout(ctx context.Context, items []Item, addr Address) (*Quote, error) {
	p, err := consumer(ctx)
	if err != nil {
		return nil, err
	}
	merged, fs := mergeItems(items)
	addr, afs := validateAddress(addr)
	fs = append(fs, afs...)
	if len(fs) > 0 {
		return nil, problem.Invalid(fs...)
	}
	now := s.clock.Now()
	orders, fs, notOnSale, err := s.priceLines(ctx, merged, now)
	if err != nil {
		return nil, err
	}
	if len(fs) > 0 {
		return nil, problem.Invalid(fs...)
	}
	if len(notOnSale) > 0 {
		return nil, notOnSaleError(notOnSale)
	}
	if err := s.checkStock(ctx, merged); err != nil {
		return nil, err
	}
	terms := s.Terms()
	q := &Quote{ID: id.New(), ExpiresAt: now.Add(s.QuoteTTL).UTC(), Orders: orders, TermsVersion: terms.Version,
		TermsURL: TermsURL(terms.Version), AddOns: []AddOn{}, Address: addr}
	var total int64
	for _, o := range orders {
		total += o.Total.Amount
	}
	q.Total = catalog.CNY(total)
	body, err := json.Marshal(storedQuote{Orders: orders, Total: q.Total})
	if err != nil {
		return nil, err
	}
	addrJSON, _ := json.Marshal(addr)
	enc, err := s.keys.Encrypt(string(addrJSON), "checkout_quotes.address|"+q.ID)
	if err != nil {
		return nil, err
	}
	err = s.db.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO checkout_quotes (id, account_id, body, address_enc, terms_version, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, q.ID, p.AccountID, string(body), enc, terms.Version, now.UTC(), q.ExpiresAt); err != nil {
			return fmt.Errorf("order: save quote: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Placing it will not need to read it back (held.go). It is held as
	// the database gives it back (decoded from the same bytes), so a held
	// and a read quote place identical contracts.
	held := &quoteRow{id: q.ID, accountID: p.AccountID, termsVersion: terms.Version, expiresAt: q.ExpiresAt}
	if json.Unmarshal(body, &held.body) == nil && json.Unmarshal(addrJSON, &held.addr) == nil {
		s.quotes.hold(held, now)
	}
	return q, nil
}

// storedQuote is what a quote keeps besides the address: the per-seller
// lines and totals the consumer confirmed.
type storedQuote struct {
	Orders []QuoteOrder  `json:"orders"`
	Total  catalog.Money `json:"total"`
}

// checkStock refuses items the stock cannot cover now.
func (s *Service) checkStock(ctx context.Context, items []Item) error {
	ids := make([]string, len(items))
	for i, it := range items {
		ids[i] = it.SKUID
	}
	avail, err := s.stock.AvailableMany(ctx, ids)
	if err != nil {
		return err
	}
	var short []string
	for _, it := range items {
		if avail[it.SKUID] < it.Quantity {
			short = append(short, it.SKUID)
		}
	}
	if len(short) > 0 {
		sort.Strings(short)
		return problem.New(problem.OutOfStock, i18n.T("部分商品库存不足，请减少数量或稍后再试", "Not enough stock for some items; lower the quantity or try later")).With("sku_ids", short)
	}
	return nil
}

// quoteRow is a stored quote.
type quoteRow struct {
	id, accountID, termsVersion, key string
	body                             storedQuote
	addr                             Address
	expiresAt                        time.Time
	used                             bool
	keyReused                        int // other quotes placed with the same key
}

// It also counts the account's other quotes placed under key in the last
// 24 hours (key reuse with another body), in the same round trip.
func (s *Service) loadQuote(ctx context.Context, q db.Querier, quoteID, key string, since time.Time) (*quoteRow, error) {
	if !id.Valid(quoteID) {
		return nil, problem.NotFoundError()
	}
	var r quoteRow
	var body, enc string
	var used sql.NullTime
	var usedKey sql.NullString
	err := q.QueryRowContext(ctx, `SELECT id, account_id, body, address_enc, terms_version, expires_at, used_at, idempotency_key,
		(SELECT COUNT(*) FROM checkout_quotes o WHERE o.account_id = q.account_id AND o.idempotency_key = $2 AND o.id <> q.id AND o.used_at > $3)
		FROM checkout_quotes q WHERE id = $1`, quoteID, key, since).Scan(&r.id, &r.accountID, &body, &enc, &r.termsVersion, &r.expiresAt, &used, &usedKey, &r.keyReused)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, problem.NotFoundError()
	}
	if err != nil {
		return nil, fmt.Errorf("order: load quote: %w", err)
	}
	r.used, r.key = used.Valid, usedKey.String
	if err := json.Unmarshal([]byte(body), &r.body); err != nil {
		return nil, fmt.Errorf("order: quote body: %w", err)
	}
	plain, err := s.keys.Decrypt(enc, "checkout_quotes.address|"+r.id)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(plain), &r.addr); err != nil {
		return nil, fmt.Errorf("order: quote address: %w", err)
	}
	return &r, nil
}
