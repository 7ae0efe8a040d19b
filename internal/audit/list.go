package audit

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"gbmall/internal/platform/db"
)

// Filter selects entries for auditors.
type Filter struct {
	Action     string
	ObjectType string
	ObjectID   string
	ActorID    string
	From, To   *time.Time
	Limit      int
	Cursor     string // opaque, from a previous page
}

// List returns entries newest first, and the cursor of the next page
// ("" when there is none).
func List(ctx context.Context, d *db.DB, f Filter) ([]Entry, string, error) {
	if f.Limit <= 0 || f.Limit > 100 {
		f.Limit = 20
	}
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if f.Action != "" {
		add("action = $%d", f.Action)
	}
	if f.ObjectType != "" {
		add("object_type = $%d", f.ObjectType)
	}
	if f.ObjectID != "" {
		add("object_id = $%d", f.ObjectID)
	}
	if f.ActorID != "" {
		add("actor_id = $%d", f.ActorID)
	}
	if f.From != nil {
		add("at >= $%d", f.From.UTC())
	}
	if f.To != nil {
		add("at < $%d", f.To.UTC())
	}
	if f.Cursor != "" {
		raw, err := base64.RawURLEncoding.DecodeString(f.Cursor)
		parts := strings.SplitN(string(raw), "|", 2)
		if err != nil || len(parts) != 2 {
			return nil, "", ErrBadCursor
		}
		t, err := time.Parse(time.RFC3339Nano, parts[0])
		if err != nil {
			return nil, "", ErrBadCursor
		}
		args = append(args, t, parts[1])
		where = append(where, fmt.Sprintf("(at < $%d OR (at = $%d AND id < $%d))", len(args)-1, len(args)-1, len(args)))
	}
	q := `SELECT id, shard, seq, at, actor_id, organization_id, role, source_ip, request_id, action, object_type, object_id,
		outcome, details, change_digest, prev_hash, hash FROM audit_log`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += fmt.Sprintf(" ORDER BY at DESC, id DESC LIMIT %d", f.Limit+1)
	rows, err := d.Query(ctx, q, args...)
	if err != nil {
		return nil, "", fmt.Errorf("audit: list: %w", err)
	}
	defer rows.Close()
	out := []Entry{}
	for rows.Next() {
		var e Entry
		if err := rows.Scan(&e.ID, &e.Shard, &e.Seq, &e.At, &e.ActorID, &e.OrganizationID, &e.Role, &e.SourceIP, &e.RequestID,
			&e.Action, &e.ObjectType, &e.ObjectID, &e.Outcome, &e.Details, &e.ChangeDigest, &e.PrevHash, &e.Hash); err != nil {
			return nil, "", err
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > f.Limit {
		out = out[:f.Limit]
		last := out[len(out)-1]
		next = base64.RawURLEncoding.EncodeToString([]byte(last.At.UTC().Format(time.RFC3339Nano) + "|" + last.ID))
	}
	return out, next, nil
}
