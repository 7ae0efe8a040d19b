package payproto

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"gbmall/internal/platform/clock"
)

// Client sends signed requests to the other side.
type Client struct {
	// HTTP defaults to a client with a 15 s timeout.
	HTTP *http.Client
	// Key signs every request.
	Key *KeyPair
	// Clock gives the ts of each signature.
	Clock clock.Clock
}

var defaultHTTP = &http.Client{Timeout: 15 * time.Second}

// MaxResponse bounds how much of an answer the client reads.
const MaxResponse = 32 << 20

// Do sends method url with body (nil for none), signed. body is sent as
// application/json unless it is nil. The caller closes the response body.
func (c *Client) Do(ctx context.Context, method, url string, body []byte) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json, text/csv, application/problem+json")
	now := time.Now()
	if c.Clock != nil {
		now = c.Clock.Now()
	}
	SignRequest(req, c.Key, now, body)
	h := c.HTTP
	if h == nil {
		h = defaultHTTP
	}
	return h.Do(req)
}

// RemoteError is a non-2xx answer. Type, Title and Detail come from a
// problem+json body when there is one.
type RemoteError struct {
	Status int
	Type   string
	Title  string
	Detail string
	Body   []byte
}

func (e *RemoteError) Error() string {
	if e.Type != "" {
		return fmt.Sprintf("payproto: remote answered %d %s: %s", e.Status, e.Type, e.Detail)
	}
	return fmt.Sprintf("payproto: remote answered %d", e.Status)
}

// Code is the last segment of the problem type ("bad-signature"…), or "".
func (e *RemoteError) Code() string {
	if i := strings.LastIndexByte(e.Type, '/'); i >= 0 {
		return e.Type[i+1:]
	}
	return e.Type
}

// DoJSON sends in (nil for no body) as JSON, signed, and decodes a 2xx
// answer into out (when out is not nil). It returns the status; a non-2xx
// answer is a *RemoteError.
func (c *Client) DoJSON(ctx context.Context, method, url string, in, out any) (int, error) {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return 0, err
		}
	}
	resp, err := c.Do(ctx, method, url, body)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponse))
	if err != nil {
		return resp.StatusCode, err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		re := &RemoteError{Status: resp.StatusCode, Body: data}
		var p struct {
			Type   string `json:"type"`
			Title  string `json:"title"`
			Detail string `json:"detail"`
		}
		if json.Unmarshal(data, &p) == nil {
			re.Type, re.Title, re.Detail = p.Type, p.Title, p.Detail
		}
		return resp.StatusCode, re
	}
	if out != nil {
		if b, ok := out.(*[]byte); ok {
			*b = data
			return resp.StatusCode, nil
		}
		if err := json.Unmarshal(data, out); err != nil {
			return resp.StatusCode, fmt.Errorf("payproto: decode answer: %w", err)
		}
	}
	return resp.StatusCode, nil
}

// FetchKeys reads a published key list (GET url, unsigned), such as the
// platform's /api/v1/payment-keys or paysim's /v1/keys.
func FetchKeys(ctx context.Context, h *http.Client, url string) ([]PublicKeyInfo, error) {
	if h == nil {
		h = defaultHTTP
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := h.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("payproto: GET %s answered %d", url, resp.StatusCode)
	}
	var kr KeysResponse
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&kr); err != nil {
		return nil, fmt.Errorf("payproto: GET %s: %w", url, err)
	}
	return kr.Keys, nil
}
