package payproto

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// StatementHeader is the first row of GET {base}/v1/statements/{YYYY-MM-DD}.
var StatementHeader = []string{"kind", "no", "out_no", "amount", "currency", "status", "time"}

// Statement row kinds.
const (
	KindTrade      = "trade"
	KindRefund     = "refund"
	KindSettlement = "settlement"
)

// StatementRow is one row of a daily statement. For a trade No is trade_no
// and OutNo out_trade_no; for a refund refund_no and out_refund_no; for a
// settlement settlement_no and out_settlement_no. Amount is in fen (for a
// settlement, the payee's share). Time is when the record was created; it
// decides the (UTC) day the row belongs to.
type StatementRow struct {
	Kind     string
	No       string
	OutNo    string
	Amount   int64
	Currency string
	Status   string
	Time     time.Time
}

// WriteStatement writes the header and rows as CSV.
func WriteStatement(w io.Writer, rows []StatementRow) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(StatementHeader); err != nil {
		return err
	}
	for _, r := range rows {
		if err := cw.Write([]string{r.Kind, r.No, r.OutNo, strconv.FormatInt(r.Amount, 10), r.Currency, r.Status,
			r.Time.UTC().Format(time.RFC3339)}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// ParseStatement reads a statement CSV, checking its header.
func ParseStatement(r io.Reader) ([]StatementRow, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = len(StatementHeader)
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("payproto: statement header: %w", err)
	}
	if strings.Join(head, ",") != strings.Join(StatementHeader, ",") {
		return nil, fmt.Errorf("payproto: statement header %q, want %q", strings.Join(head, ","), strings.Join(StatementHeader, ","))
	}
	var rows []StatementRow
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return nil, fmt.Errorf("payproto: statement: %w", err)
		}
		amount, err := strconv.ParseInt(rec[3], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("payproto: statement row %d: amount %q", len(rows)+1, rec[3])
		}
		t, err := time.Parse(time.RFC3339, rec[6])
		if err != nil {
			return nil, fmt.Errorf("payproto: statement row %d: time %q", len(rows)+1, rec[6])
		}
		rows = append(rows, StatementRow{Kind: rec[0], No: rec[1], OutNo: rec[2], Amount: amount, Currency: rec[4], Status: rec[5], Time: t.UTC()})
	}
}
