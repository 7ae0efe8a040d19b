package payment

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"gbmall/internal/audit"
	"gbmall/internal/identity"
	"gbmall/internal/org"
	"gbmall/internal/payproto"
	"gbmall/internal/platform/db"
	"gbmall/internal/platform/i18n"
	"gbmall/internal/platform/id"
	"gbmall/internal/platform/problem"
)

var keyIDPattern = regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,64}$`)

// checkBaseURL accepts https://, or http:// on a loopback address only
// (sandboxes such as paysim).
func checkBaseURL(v string) (string, error) {
	v = strings.TrimRight(strings.TrimSpace(v), "/")
	bad := problem.Invalid(problem.Field("api_base_url", i18n.T("必须是 https:// 地址（本机回环地址的沙箱可用 http://），不带查询串", "Must be an https:// URL (http:// only on a loopback address, for sandboxes), without a query")))
	u, err := url.Parse(v)
	if err != nil || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil || len(v) > 500 {
		return "", bad
	}
	switch u.Scheme {
	case "https":
		return v, nil
	case "http":
		host := u.Hostname()
		if host == "localhost" {
			return v, nil
		}
		if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
			return v, nil
		}
	}
	return "", bad
}

// RegisterChannel registers or updates a provider's channel: its API base
// URL and its current public key (R-8.1-1). Only the owner of an approved
// payment_provider organisation may. A new key becomes current; the
// previous one stays valid KeyRotationGrace.
func (s *Service) RegisterChannel(ctx context.Context, orgID string, in payproto.ChannelRequest) (*payproto.ChannelResponse, error) {
	if _, err := identity.Authorize(ctx, identity.PermPayments, orgID); err != nil {
		return nil, err
	}
	if _, err := identity.Authorize(ctx, identity.PermOrgManage, orgID); err != nil {
		return nil, err
	}
	var fields []problem.FieldError
	base, err := checkBaseURL(in.APIBaseURL)
	if err != nil {
		p, _ := problem.As(err)
		fields = append(fields, p.Fields...)
	}
	in.KeyID = strings.TrimSpace(in.KeyID)
	if !keyIDPattern.MatchString(in.KeyID) {
		fields = append(fields, problem.Field("key_id", i18n.T("必填，1–64 个字母、数字或 _ . : -", "Required: 1–64 letters, digits or _ . : -")))
	}
	pub, perr := payproto.ParsePublicKey(in.PublicKey)
	if perr != nil {
		fields = append(fields, problem.Field("public_key", i18n.T("必须是 32 字节 Ed25519 公钥的 base64", "Must be the base64 of a 32-byte Ed25519 public key")))
	}
	if len(fields) > 0 {
		return nil, problem.Invalid(fields...)
	}
	pubText := payproto.PublicKeyInfo{KeyID: in.KeyID, PublicKey: encodeKey(pub)}.PublicKey
	now := s.clock.Now().UTC()
	err = s.db.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		var kind, status string
		if err := tx.QueryRowContext(ctx, `SELECT kind, status FROM organizations WHERE id = $1`+lockSuffix(tx), orgID).Scan(&kind, &status); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return problem.NotFoundError()
			}
			return err
		}
		if identity.Kind(kind) != identity.KindPaymentProvider {
			return errNotProvider
		}
		if org.Status(status) != org.StatusApproved {
			return problem.New(problem.QualificationMissing, i18n.T("只有审核通过的支付机构才能登记支付通道", "Only an approved payment provider may register its channel"))
		}
		var existing string
		err := tx.QueryRowContext(ctx, `SELECT public_key FROM payment_channel_keys WHERE organization_id = $1 AND key_id = $2`, orgID, in.KeyID).Scan(&existing)
		switch {
		case err == nil && existing != pubText:
			return problem.New(problem.Conflict, i18n.T("该密钥编号已登记为另一个公钥；轮换密钥请使用新的编号", "This key id is registered for another public key; rotate with a new key id"))
		case err != nil && !errors.Is(err, sql.ErrNoRows):
			return err
		}
		// R-8.1-1: the previous current key stays valid 24 hours.
		if _, err := tx.ExecContext(ctx, `UPDATE payment_channel_keys SET valid_until = $1 WHERE organization_id = $2 AND key_id <> $3 AND (valid_until IS NULL OR valid_until > $4)`,
			now.Add(KeyRotationGrace), orgID, in.KeyID, now.Add(KeyRotationGrace)); err != nil {
			return err
		}
		if existing == "" {
			if _, err := tx.ExecContext(ctx, `INSERT INTO payment_channel_keys (organization_id, key_id, public_key, created_at, valid_until) VALUES ($1, $2, $3, $4, NULL)`,
				orgID, in.KeyID, pubText, now); err != nil {
				return err
			}
		} else if _, err := tx.ExecContext(ctx, `UPDATE payment_channel_keys SET valid_until = NULL WHERE organization_id = $1 AND key_id = $2`, orgID, in.KeyID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE payment_channels SET api_base_url = $1, updated_at = $2 WHERE organization_id = $3`, base, now, orgID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			if _, err := tx.ExecContext(ctx, `INSERT INTO payment_channels (organization_id, api_base_url, created_at, updated_at) VALUES ($1, $2, $3, $4)`,
				orgID, base, now, now); err != nil {
				return err
			}
		}
		return s.trail.RecordTx(ctx, tx, audit.Event{Action: "payment.channel.register", ObjectType: "organization", ObjectID: orgID,
			Details: map[string]any{"api_base_url": base, "key_id": in.KeyID}})
	})
	if err != nil {
		return nil, err
	}
	return &payproto.ChannelResponse{NotifyURL: s.NotifyURL(orgID), PlatformKeys: s.PlatformKeys()}, nil
}

func encodeKey(pub ed25519.PublicKey) string {
	return (&payproto.KeyPair{Public: pub}).PublicKeyBase64()
}

// Provider is a payment provider offered at checkout.
type Provider struct {
	ID   string `json:"id" doc:"the provider organisation's id"`
	Name string `json:"name"`
}

// Offered lists the providers offered now (R-6.5-1, R-8.1-1): approved, not
// suspended, holding a payment business licence in force today (dates read
// on every call, so a lapse removes a provider at once) and with a
// registered channel.
func (s *Service) Offered(ctx context.Context) ([]Provider, error) {
	rows, err := s.db.Query(ctx, `SELECT o.id, o.name FROM organizations o JOIN payment_channels c ON c.organization_id = o.id
		WHERE o.kind = 'payment_provider' AND o.status = 'approved' ORDER BY o.name, o.id`)
	if err != nil {
		return nil, err
	}
	var all []Provider
	for rows.Next() {
		var p Provider
		if err := rows.Scan(&p.ID, &p.Name); err != nil {
			rows.Close()
			return nil, err
		}
		all = append(all, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := []Provider{}
	now := s.clock.Now()
	for _, p := range all {
		ok, err := s.offered(ctx, p.ID, now)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, p)
		}
	}
	return out, nil
}

func (s *Service) offered(ctx context.Context, providerID string, now time.Time) (bool, error) {
	var kind string
	if err := s.db.QueryRow(ctx, `SELECT kind FROM organizations WHERE id = $1`, providerID).Scan(&kind); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return false, nil
		}
		return false, err
	}
	if identity.Kind(kind) != identity.KindPaymentProvider {
		return false, nil
	}
	if err := s.orgs.CanTrade(ctx, providerID, now); err != nil {
		if _, ok := problem.As(err); ok {
			return false, nil
		}
		return false, err
	}
	has, err := s.orgs.HasQualification(ctx, providerID, "payment_business_license", now)
	if err != nil || !has {
		return false, err
	}
	var n int
	if err := s.db.QueryRow(ctx, `SELECT count(*) FROM payment_channel_keys WHERE organization_id = $1 AND (valid_until IS NULL OR valid_until > $2)`, providerID, now.UTC()).Scan(&n); err != nil {
		return false, err
	}
	return n > 0, nil
}

// providerKeys is the KeyLookup of one provider's keys valid now.
func (s *Service) providerKeys(providerID string) payproto.KeyLookup {
	return func(ctx context.Context, keyID string) (ed25519.PublicKey, error) {
		var text string
		err := s.db.QueryRow(ctx, `SELECT public_key FROM payment_channel_keys WHERE organization_id = $1 AND key_id = $2 AND (valid_until IS NULL OR valid_until > $3)`,
			providerID, keyID, s.clock.Now().UTC()).Scan(&text)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, payproto.ErrUnknownKey
		}
		if err != nil {
			return nil, err
		}
		return payproto.ParsePublicKey(text)
	}
}

func (s *Service) baseURL(ctx context.Context, providerID string) (string, error) {
	var base string
	err := s.db.QueryRow(ctx, `SELECT api_base_url FROM payment_channels WHERE organization_id = $1`, providerID).Scan(&base)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("payment: provider %s has no channel", providerID)
	}
	return base, err
}

// call sends one signed request to a provider and decodes a 2xx answer
// into out (*[]byte takes the raw body). An instruction (kind != "") is
// stored as signed, with its SHA-256 in the audit chain, before it is sent
// (R-8.2-2). A non-2xx answer is a *payproto.RemoteError. Never call it
// inside a database transaction.
func (s *Service) call(ctx context.Context, providerID, kind, outNo, method, path string, in, out any) error {
	base, err := s.baseURL(ctx, providerID)
	if err != nil {
		return err
	}
	var body []byte
	if in != nil {
		if body, err = json.Marshal(in); err != nil {
			return err
		}
	}
	target := base + path
	u, err := url.Parse(target)
	if err != nil {
		return err
	}
	now := s.clock.Now()
	sig := payproto.Sign(s.key, now, method, u.RequestURI(), body)
	if kind != "" {
		sum := sha256.Sum256(body)
		digest := hex.EncodeToString(sum[:])
		err := s.db.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
			iid := id.New()
			if _, err := tx.ExecContext(ctx, `INSERT INTO payment_instructions (id, provider_id, kind, out_no, method, path, body, signature, sha256, created_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, iid, providerID, kind, outNo, method, u.RequestURI(), string(body), sig, digest, now.UTC()); err != nil {
				return err
			}
			return s.trail.RecordTx(ctx, tx, audit.Event{Action: "payment.instruction." + kind, ObjectType: "payment_instruction", ObjectID: iid,
				Details: map[string]any{"provider_id": providerID, "out_no": outNo, "sha256": digest}})
		})
		if err != nil {
			return err
		}
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json, text/csv, application/problem+json")
	req.Header.Set(payproto.HeaderName, sig)
	resp, err := s.HTTP.Do(req)
	if err != nil {
		return fmt.Errorf("payment: %s %s: %w", method, u.Path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, payproto.MaxResponse))
	if err != nil {
		return err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		re := &payproto.RemoteError{Status: resp.StatusCode, Body: data}
		var p struct{ Type, Title, Detail string }
		if json.Unmarshal(data, &p) == nil {
			re.Type, re.Title, re.Detail = p.Type, p.Title, p.Detail
		}
		return re
	}
	if out != nil {
		if b, ok := out.(*[]byte); ok {
			*b = data
			return nil
		}
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("payment: decode answer of %s %s: %w", method, u.Path, err)
		}
	}
	return nil
}
