package audit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"gbmall/internal/platform/db"
)

// VerifyResult is the outcome of walking every chain.
type VerifyResult struct {
	Entries int64
	// BadID is the first entry (in shard, then sequence order) whose hash,
	// link or digest does not match; empty when the trail holds.
	BadID  string
	Reason string
}

// OK reports whether the trail holds.
func (r VerifyResult) OK() bool { return r.BadID == "" }

// Verify walks every chain from its first entry: each entry's sequence must
// follow its predecessor's, its prev_hash must equal the predecessor's hash,
// its change digest must match its details, and its hash must recompute.
// Each chain's last entry must also match the recorded chain head, so
// deleting the newest entries is detected too.
func Verify(ctx context.Context, d *db.DB) (VerifyResult, error) {
	var res VerifyResult
	heads := map[int][2]any{}
	hrows, err := d.Query(ctx, `SELECT shard, seq, hash FROM audit_chain_heads`)
	if err != nil {
		return res, fmt.Errorf("audit: read heads: %w", err)
	}
	for hrows.Next() {
		var shard int
		var seq int64
		var hash string
		if err := hrows.Scan(&shard, &seq, &hash); err != nil {
			hrows.Close()
			return res, err
		}
		heads[shard] = [2]any{seq, hash}
	}
	hrows.Close()
	for shard := 0; shard < NumShards; shard++ {
		rows, err := d.Query(ctx, `SELECT id, shard, seq, at, actor_id, organization_id, role, source_ip, request_id,
			action, object_type, object_id, outcome, details, change_digest, prev_hash, hash
			FROM audit_log WHERE shard = $1 ORDER BY seq`, shard)
		if err != nil {
			return res, fmt.Errorf("audit: read chain %d: %w", shard, err)
		}
		var prevSeq int64
		prevHash := ""
		bad := func(e *Entry, why string) {
			if res.BadID == "" {
				res.BadID, res.Reason = e.ID, why
			}
		}
		for rows.Next() {
			var e Entry
			if err := rows.Scan(&e.ID, &e.Shard, &e.Seq, &e.At, &e.ActorID, &e.OrganizationID, &e.Role, &e.SourceIP,
				&e.RequestID, &e.Action, &e.ObjectType, &e.ObjectID, &e.Outcome, &e.Details, &e.ChangeDigest,
				&e.PrevHash, &e.Hash); err != nil {
				rows.Close()
				return res, err
			}
			res.Entries++
			if res.BadID != "" {
				continue
			}
			sum := sha256.Sum256([]byte(e.Details))
			switch {
			case e.Seq != prevSeq+1:
				bad(&e, fmt.Sprintf("chain %d: sequence %d follows %d (an entry is missing)", shard, e.Seq, prevSeq))
			case e.PrevHash != prevHash:
				bad(&e, fmt.Sprintf("chain %d seq %d: link to the previous entry does not match", shard, e.Seq))
			case hex.EncodeToString(sum[:]) != e.ChangeDigest:
				bad(&e, fmt.Sprintf("chain %d seq %d: details do not match their digest", shard, e.Seq))
			case ComputeHash(&e) != e.Hash:
				bad(&e, fmt.Sprintf("chain %d seq %d: content does not match its hash", shard, e.Seq))
			}
			prevSeq, prevHash = e.Seq, e.Hash
		}
		if err := rows.Err(); err != nil {
			rows.Close()
			return res, err
		}
		rows.Close()
		if res.BadID != "" {
			continue
		}
		if h, ok := heads[shard]; ok {
			if h[0].(int64) != prevSeq || h[1].(string) != prevHash {
				res.BadID = fmt.Sprintf("chain-%d-head", shard)
				res.Reason = fmt.Sprintf("chain %d: head says seq %d but the last entry is seq %d (entries removed or head edited)", shard, h[0].(int64), prevSeq)
			}
		}
	}
	return res, nil
}
